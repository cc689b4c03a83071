# syntax=docker/dockerfile:1
# Image of the venue (FIX order entry, matching engine): built from the repository root,
#   docker build -f deploy/docker/venue.Dockerfile -t venue/venue .
# Stage 1 compiles with the project's own presets (clang-16, Ninja) on Debian 12; stage 2 is Debian 12
# slim with only the runtime libraries, a non-root user and no shell tools beyond Debian's base.
# Checked offline by hadolint and checkov (ci/lint-deploy); built on main by the workflow's images job.

FROM debian:12.8 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends \
      clang-16 cmake ninja-build pkg-config ca-certificates \
      libquickfix-dev libboost-dev libboost-log-dev libboost-test-dev libboost-program-options-dev \
      libpqxx-dev librdkafka-dev prometheus-cpp-dev nlohmann-json3-dev libtomlplusplus-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY common common
COPY matcher matcher
COPY fix-gateway fix-gateway
COPY dropcopy dropcopy
COPY compliance compliance
COPY risk risk
COPY operator-api operator-api
COPY tests tests
COPY spec spec
RUN cmake --preset release >/dev/null \
 && cmake --build --preset release --target venue venue-passwd venuectl

FROM debian:12.8-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends \
      libquickfix17 libssl3 libtomlplusplus3 libboost-log1.74.0 libprometheus-cpp-core1.0 \
      librdkafka++1 libpqxx-6.4 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 venue \
 && useradd --system --uid 10001 --gid venue --home-dir /var/lib/venue --shell /usr/sbin/nologin venue \
 && mkdir -p /var/lib/venue /run/venue /etc/venue \
 && chown venue:venue /var/lib/venue /run/venue
COPY --from=build /src/build/bin/venue /usr/local/bin/venue
COPY --from=build /src/build/bin/venue-passwd /usr/local/bin/venue-passwd
# The operators' terminal client: `kubectl exec ... venuectl sessions` (deploy/runbook/shell.md); the chart
# sets VENUECTL_URL to the API on the pod's loopback.
COPY --from=build /src/build/bin/venuectl /usr/local/bin/venuectl
COPY --from=build /src/spec/fix/VENUE-FIX44.xml /usr/share/venue/fix/VENUE-FIX44.xml
COPY deploy/docker/entrypoint.sh /usr/local/bin/venue-entrypoint
USER 10001:10001
WORKDIR /var/lib/venue
EXPOSE 9878 9879 19101 19110
# Kubernetes probes /healthz and /readyz itself; this is for docker compose and plain docker.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/19101 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/venue-entrypoint"]
CMD ["/usr/local/bin/venue", "--config", "/etc/venue/venue.toml"]
