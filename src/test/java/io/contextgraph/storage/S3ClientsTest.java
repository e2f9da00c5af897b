package io.contextgraph.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.contextgraph.storage.S3Clients.S3Options;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

class S3ClientsTest {

    @Test
    void an_endpoint_overrides_aws_and_always_has_a_region() {
        URI endpoint = URI.create("http://127.0.0.1:9000");
        try (S3Client client = S3Clients.create(S3Options.at(endpoint), AnonymousCredentialsProvider.create())) {
            assertThat(client.serviceClientConfiguration().endpointOverride()).contains(endpoint);
            assertThat(client.serviceClientConfiguration().region()).isNotNull();
        }
    }

    @Test
    void an_endpoint_without_a_configured_region_falls_back_to_us_east_1() {
        assumeTrue(System.getenv("AWS_REGION") == null && System.getProperty("aws.region") == null
                && System.getenv("AWS_CONFIG_FILE") == null
                && !Files.exists(Path.of(System.getProperty("user.home"), ".aws", "config")),
                "a region is configured on this machine");
        try (S3Client client = S3Clients.create(S3Options.at(URI.create("http://127.0.0.1:9000")),
                AnonymousCredentialsProvider.create())) {
            assertThat(client.serviceClientConfiguration().region()).isEqualTo(Region.US_EAST_1);
        }
    }

    @Test
    void options_refuse_nonsense() {
        assertThatThrownBy(() -> new S3Options(Optional.empty(), false, Duration.ZERO, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new S3Options(Optional.empty(), false, Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaults_check_only_required_checksums_for_endpoints() {
        assertThat(S3Options.aws().endpoint()).isEmpty();
        assertThat(S3Options.aws().checksumsWhenRequired()).isFalse();
        assertThat(S3Options.at(URI.create("http://localhost:9000")).checksumsWhenRequired()).isTrue();
    }
}
