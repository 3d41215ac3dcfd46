# The rabbitmq-scaler image: KEDA's external scaler for RabbitMQ, gRPC on port 9090.
# Build from the repository root:
#   docker build -f docker/scaler.Dockerfile -t ghcr.io/keda-rabbitmq-scaler/rabbitmq-scaler:0.1.0 .

FROM debian:12 AS builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
      librabbitmq-dev libabsl-dev nlohmann-json3-dev libyaml-cpp-dev libre2-dev libssl-dev \
      libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DKRS_BUILD_TESTS=OFF -DKRS_BUILD_BENCHMARKS=OFF \
 && cmake --build /build -j "$(nproc)" --target rabbitmq-scaler \
 && strip /build/bin/rabbitmq-scaler

FROM debian:12
# Runtime libraries only; apt pulls in their own dependencies (libgrpc29, libbrotli1, ...).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 librabbitmq4 libabsl20220623 libre2-9 libcpp-httplib0.11 \
      libyaml-cpp0.7 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot
COPY --from=builder /build/bin/rabbitmq-scaler /usr/local/bin/rabbitmq-scaler
# Fails the build when the package list above misses a shared library the binary needs.
RUN ! ldd /usr/local/bin/rabbitmq-scaler | grep "not found"
# A numeric user, so that the kubelet can enforce runAsNonRoot.
USER 65532:65532
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/rabbitmq-scaler"]
CMD ["--listen=0.0.0.0:9090", "--log-level=info"]
