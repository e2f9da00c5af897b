# One image for both roles (Dockerflow conventions): the app in /app, /app/version.json, user app (10001).
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src ./src
ARG COMMIT=unknown
ARG BUILD=unknown
RUN mvn -B -ntp -q -DskipTests -Dbuild.commit="${COMMIT}" -Dbuild.id="${BUILD}" package

# The runtime the bench measures (docs/performance.md): JDK 25. The code targets 21 (maven.compiler.release).
FROM eclipse-temurin:25-jre
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home app
WORKDIR /app
COPY --from=build /src/target/contextgraph.jar /app/contextgraph.jar
COPY --from=build /src/target/libs /app/libs
COPY --from=build /src/target/classes/version.json /app/version.json
COPY docker/entrypoint.sh /app/entrypoint.sh
COPY docker/jvm.options docker/jvm-web.options /app/
USER app
EXPOSE 8000
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["web"]
