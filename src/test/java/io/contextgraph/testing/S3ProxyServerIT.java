package io.contextgraph.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;

/** The test support itself: other integration tests rely on restarts keeping the port (and, on disk, the data). */
class S3ProxyServerIT {

    @Test
    void transient_server_restarts_on_the_same_port_and_forgets_everything() {
        try (S3ProxyServer s3 = S3ProxyServer.startTransient()) {
            int port = s3.port();
            s3.createBucket("bucket");
            s3.client().putObject(r -> r.bucket("bucket").key("k/1"), RequestBody.fromString("one"));
            assertThat(s3.listKeys("bucket", "k/")).containsExactly("k/1");
            assertThat(s3.getObject("bucket", "k/1").asUtf8String()).isEqualTo("one");

            s3.kill();
            assertThat(s3.isRunning()).isFalse();
            assertThatThrownBy(() -> s3.listKeys("bucket", "")).isInstanceOf(SdkException.class);

            s3.start();
            assertThat(s3.port()).isEqualTo(port);
            assertThat(s3.endpoint().getPort()).isEqualTo(port);
            assertThatThrownBy(() -> s3.listKeys("bucket", "")).isInstanceOf(SdkException.class);
            s3.createBucket("bucket");
            assertThat(s3.listKeys("bucket", "")).isEmpty();
        }
    }

    @Test
    void filesystem_server_keeps_its_objects_across_a_restart() {
        try (S3ProxyServer s3 = S3ProxyServer.startFilesystem()) {
            s3.createBucket("bucket");
            s3.client().putObject(r -> r.bucket("bucket").key("k/1"), RequestBody.fromString("one"));

            s3.stop();
            s3.start();

            assertThat(s3.getObject("bucket", "k/1").asUtf8String()).isEqualTo("one");
            assertThat(s3.logFile()).exists();
        }
    }
}
