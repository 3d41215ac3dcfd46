# The workloads image: rmq-producer, rmq-consumer and result-analyzer (HTTP on port 8080) in
# /usr/local/bin. Each Kubernetes manifest picks its binary with `command`.
# Build from the repository root:
#   docker build -f docker/workloads.Dockerfile -t ghcr.io/keda-rabbitmq-scaler/workloads:0.1.0 .

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
# Configuring needs every dependency of the project (the scaler's gRPC included), even though
# only the workload binaries are built.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DKRS_BUILD_TESTS=OFF -DKRS_BUILD_BENCHMARKS=OFF \
 && cmake --build /build -j "$(nproc)" --target rmq-producer rmq-consumer result-analyzer \
 && strip /build/bin/rmq-producer /build/bin/rmq-consumer /build/bin/result-analyzer

FROM debian:12
# Runtime libraries only (the binaries link these four; apt pulls in libbrotli1 and zlib1g).
# libcpp-httplib0.11 serves the analyzer's HTTP API and carries the events and the Kubernetes
# API calls of the others; ca-certificates is for https.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librabbitmq4 libabsl20220623 libcpp-httplib0.11 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot
COPY --from=builder /build/bin/rmq-producer /build/bin/rmq-consumer /build/bin/result-analyzer \
     /usr/local/bin/
# Fails the build when the package list above misses a shared library a binary needs.
RUN ! ldd /usr/local/bin/rmq-producer /usr/local/bin/rmq-consumer \
      /usr/local/bin/result-analyzer | grep "not found"
# A numeric user, so that the kubelet can enforce runAsNonRoot.
USER 65532:65532
EXPOSE 8080
