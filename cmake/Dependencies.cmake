# The one place where the project finds its dependencies. Every package comes from Debian 12
# (scripts/install-deps.sh installs them); the imported targets below are what the rest of the
# build links against.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# gRPC ships a CMake config package. It prints a harmless "Could NOT find c-ares" line.
find_package(gRPC CONFIG REQUIRED)

# Debian's Protobuf 3.21 has no config package: CMake's FindProtobuf module provides
# protobuf::libprotobuf and protobuf::protoc.
find_package(Protobuf REQUIRED)

find_package(absl CONFIG REQUIRED)
find_package(rabbitmq-c CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)

# RE2 and cpp-httplib come through pkg-config. Debian's cpp-httplib is a compiled library built
# with OpenSSL, zlib and brotli support; its imported target carries the matching definitions.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

if(KRS_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(KRS_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

find_program(KRS_PROTOC protoc REQUIRED)
find_program(KRS_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# The standard gRPC protos (health, reflection) from Debian's grpc-proto package.
set(KRS_GRPC_PROTO_DIR /usr/share/grpc-proto CACHE PATH "Folder holding grpc/health/v1/health.proto")
