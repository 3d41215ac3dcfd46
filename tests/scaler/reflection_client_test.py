#!/usr/bin/python3
"""Call the real rabbitmq-scaler through gRPC server reflection, the way grpcurl does.

grpcurl is not packaged in Debian 12, so this test plays its part with Debian's python3-grpcio.
It lists the services over grpc.reflection.v1alpha, the version gRPC 1.51 serves and grpcurl
1.8 uses. It fetches the file descriptors by symbol and builds the message classes from them at
run time. Then it calls every rpc by its full name with JSON input, like
`grpcurl -plaintext -d '{...}' HOST:PORT externalscaler.ExternalScaler/GetMetrics`.

Needs the local broker (scripts/rabbitmq.sh; RMQ_AMQP_URL and RMQ_HTTP_URL) and the binary in
KRS_BIN_DIR. Prints `reflection: N passed, M failed` last and exits 1 when a check failed.
"""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import grpc
from google.protobuf import descriptor_pb2
from google.protobuf import descriptor_pool
from google.protobuf import json_format
from google.protobuf import message_factory

REFLECTION_PROTO = "/usr/share/grpc-proto/grpc/reflection/v1alpha/reflection.proto"
REFLECTION_METHOD = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:29672/%2F"
DEFAULT_HTTP_URL = "http://guest:guest@127.0.0.1:29673"
MESSAGES = 4


def compile_reflection_proto(workdir):
    """Generate reflection_pb2 into workdir/krs_reflection and return the module.

    The output folder must not be named `grpc`: a generated package of that name would shadow
    grpcio itself.
    """
    from grpc_tools import protoc

    package_dir = os.path.join(workdir, "krs_reflection")
    os.makedirs(package_dir)
    with open(REFLECTION_PROTO, encoding="utf-8") as source:
        text = source.read()
    with open(os.path.join(package_dir, "reflection.proto"), "w", encoding="utf-8") as target:
        target.write(text)
    open(os.path.join(package_dir, "__init__.py"), "w").close()

    result = protoc.main(["protoc", f"-I{workdir}", f"--python_out={workdir}",
                          os.path.join(package_dir, "reflection.proto")])
    if result != 0:
        raise RuntimeError(f"protoc failed on {REFLECTION_PROTO} with exit code {result}")
    sys.path.insert(0, workdir)
    from krs_reflection import reflection_pb2
    return reflection_pb2


class ManagementApi:
    """The few management HTTP API calls the test needs to set up a queue."""

    def __init__(self, http_url):
        parsed = urllib.parse.urlsplit(http_url)
        self.origin = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}"
        credentials = f"{urllib.parse.unquote(parsed.username or '')}:" \
                      f"{urllib.parse.unquote(parsed.password or '')}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.origin + path, data=data, method=method)
        request.add_header("Authorization", self.authorization)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def check_reachable(self):
        try:
            self.request("GET", "/api/overview")
        except (urllib.error.URLError, OSError) as error:
            raise SystemExit(f"reflection: the management API at {self.origin} is unreachable "
                             f"({error}); start the broker with scripts/rabbitmq.sh start and "
                             "export its RMQ_HTTP_URL and RMQ_AMQP_URL")

    def declare_queue(self, queue):
        self.request("PUT", f"/api/queues/%2F/{urllib.parse.quote(queue, safe='')}",
                     {"durable": False, "auto_delete": False})

    def delete_queue(self, queue):
        self.request("DELETE", f"/api/queues/%2F/{urllib.parse.quote(queue, safe='')}")

    def publish(self, queue, count):
        for _ in range(count):
            body = {"properties": {}, "routing_key": queue, "payload": "{}",
                    "payload_encoding": "string"}
            answer = json.loads(self.request("POST", "/api/exchanges/%2F/amq.default/publish",
                                             body))
            if not answer.get("routed"):
                raise RuntimeError(f"message to queue {queue} was not routed")


class ScalerProcess:
    """The rabbitmq-scaler binary on a free port; stderr is collected for the report."""

    def __init__(self):
        binary = os.path.join(os.environ["KRS_BIN_DIR"], "rabbitmq-scaler")
        self.process = subprocess.Popen([binary, "--listen=127.0.0.1:0"],
                                        stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.port = None
        started = threading.Event()

        def read_stderr():
            for line in self.process.stderr:
                self.lines.append(line.rstrip("\n"))
                match = re.search(r'msg="scaler started".* port=(\d+)', line)
                if match:
                    self.port = int(match.group(1))
                    started.set()
            started.set()

        self.reader = threading.Thread(target=read_stderr, daemon=True)
        self.reader.start()
        if not started.wait(10) or self.port is None:
            self.process.kill()
            raise SystemExit("reflection: rabbitmq-scaler did not start; log:\n" +
                             "\n".join(self.lines))

    def stop(self):
        """Send SIGTERM and return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=15)
        self.reader.join(timeout=5)
        return code


class ReflectionClient:
    """What grpcurl does: list, describe, and resolve symbols into message classes."""

    def __init__(self, channel, reflection_pb2):
        self.pb2 = reflection_pb2
        self.call = channel.stream_stream(
            REFLECTION_METHOD,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        self.pool = descriptor_pool.DescriptorPool()
        self.factory = message_factory.MessageFactory(self.pool)
        self.loaded_files = set()

    def ask(self, **fields):
        request = self.pb2.ServerReflectionRequest(host="", **fields)
        responses = list(self.call(iter([request]), timeout=10))
        if len(responses) != 1:
            raise RuntimeError(f"expected one reflection response, got {len(responses)}")
        response = responses[0]
        if response.HasField("error_response"):
            raise RuntimeError(f"reflection error {response.error_response.error_code}: "
                               f"{response.error_response.error_message}")
        return response

    def list_services(self):
        response = self.ask(list_services="")
        return sorted(service.name for service in response.list_services_response.service)

    def load_symbol(self, symbol):
        response = self.ask(file_containing_symbol=symbol)
        self.add_files(response.file_descriptor_response.file_descriptor_proto)

    def add_files(self, serialized_files):
        files = [descriptor_pb2.FileDescriptorProto.FromString(data) for data in serialized_files]
        by_name = {proto.name: proto for proto in files}
        for proto in files:
            self.add_file(proto, by_name)

    def add_file(self, proto, by_name):
        if proto.name in self.loaded_files:
            return
        for dependency in proto.dependency:
            if dependency in self.loaded_files:
                continue
            if dependency not in by_name:
                # The server sent only the file itself: ask for the dependency by name.
                response = self.ask(file_by_filename=dependency)
                for data in response.file_descriptor_response.file_descriptor_proto:
                    extra = descriptor_pb2.FileDescriptorProto.FromString(data)
                    by_name.setdefault(extra.name, extra)
            self.add_file(by_name[dependency], by_name)
        self.pool.Add(proto)
        self.loaded_files.add(proto.name)

    def message_class(self, full_name):
        return self.factory.GetPrototype(self.pool.FindMessageTypeByName(full_name))

    def method(self, full_method):
        """Return (method descriptor, request class, response class) for Service/Method."""
        service_name, method_name = full_method.split("/")
        self.load_symbol(service_name)
        service = self.pool.FindServiceByName(service_name)
        method = service.methods_by_name[method_name]
        return (method, self.message_class(method.input_type.full_name),
                self.message_class(method.output_type.full_name))

    def describe(self, service_name):
        self.load_symbol(service_name)
        service = self.pool.FindServiceByName(service_name)
        lines = [f"{service.full_name} is a service:"]
        for method in service.methods:
            stream = "stream " if method.server_streaming else ""
            lines.append(f"  rpc {method.name} ( .{method.input_type.full_name} ) returns "
                         f"( {stream}.{method.output_type.full_name} );")
        return lines


def call_unary(channel, client, full_method, request_json):
    """Call Service/Method with a JSON request, as `grpcurl -d JSON` does; return JSON."""
    _, request_class, response_class = client.method(full_method)
    request = json_format.Parse(request_json, request_class())
    stub = channel.unary_unary("/" + full_method,
                               request_serializer=request_class.SerializeToString,
                               response_deserializer=response_class.FromString)
    response = stub(request, timeout=10)
    return json.loads(json_format.MessageToJson(response))


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, condition, name, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")


def run(checks, channel, client, amqp_url, queue):
    services = client.list_services()
    print("list:", " ".join(services))
    for service in ("externalscaler.ExternalScaler", "grpc.health.v1.Health",
                    "grpc.reflection.v1alpha.ServerReflection"):
        checks.expect(service in services, f"list contains {service}", str(services))

    description = client.describe("externalscaler.ExternalScaler")
    print("\n".join(description))
    for rpc in ("IsActive", "StreamIsActive", "GetMetricSpec", "GetMetrics", "StreamMetricSpec"):
        checks.expect(any(f"rpc {rpc} " in line for line in description), f"describe has {rpc}")

    ref = {"name": "demo", "namespace": "default",
           "scalerMetadata": {"host": amqp_url, "queueName": queue, "mode": "QueueLength",
                              "value": "2"}}
    metric_name = f"rabbitmq-{queue}"

    spec = call_unary(channel, client, "externalscaler.ExternalScaler/GetMetricSpec",
                      json.dumps(ref))
    print("GetMetricSpec:", json.dumps(spec))
    specs = spec.get("metricSpecs", [])
    checks.expect(len(specs) == 1 and specs[0].get("metricName") == metric_name and
                  specs[0].get("targetSizeFloat") == 2, "GetMetricSpec returns the spec",
                  json.dumps(spec))

    metrics = call_unary(channel, client, "externalscaler.ExternalScaler/GetMetrics",
                         json.dumps({"scaledObjectRef": ref, "metricName": metric_name}))
    print("GetMetrics:", json.dumps(metrics))
    values = metrics.get("metricValues", [])
    checks.expect(len(values) == 1 and values[0].get("metricValueFloat") == MESSAGES and
                  values[0].get("metricValue") == str(MESSAGES),
                  f"GetMetrics returns {MESSAGES}", json.dumps(metrics))

    active = call_unary(channel, client, "externalscaler.ExternalScaler/IsActive",
                        json.dumps(ref))
    print("IsActive:", json.dumps(active))
    checks.expect(active.get("result") is True, "IsActive returns true", json.dumps(active))

    _, request_class, response_class = client.method("externalscaler.ExternalScaler/StreamIsActive")
    stream = channel.unary_stream("/externalscaler.ExternalScaler/StreamIsActive",
                                  request_serializer=request_class.SerializeToString,
                                  response_deserializer=response_class.FromString)
    responses = stream(json_format.Parse(json.dumps(ref), request_class()), timeout=10)
    first = next(responses)
    responses.cancel()
    print("StreamIsActive:", json_format.MessageToJson(first).replace("\n", ""))
    checks.expect(first.result is True, "StreamIsActive sends true first")

    missing = dict(ref, scalerMetadata=dict(ref["scalerMetadata"], queueName=queue + "-missing"))
    try:
        call_unary(channel, client, "externalscaler.ExternalScaler/IsActive", json.dumps(missing))
        checks.expect(False, "IsActive on a missing queue fails with NOT_FOUND", "it succeeded")
    except grpc.RpcError as error:
        checks.expect(error.code() == grpc.StatusCode.NOT_FOUND,
                      "IsActive on a missing queue fails with NOT_FOUND",
                      f"{error.code()} {error.details()}")

    health = call_unary(channel, client, "grpc.health.v1.Health/Check", "{}")
    print("Health/Check:", json.dumps(health))
    checks.expect(health.get("status") == "SERVING", "Health/Check returns SERVING",
                  json.dumps(health))

    health = call_unary(channel, client, "grpc.health.v1.Health/Check",
                        '{"service":"externalscaler.ExternalScaler"}')
    checks.expect(health.get("status") == "SERVING",
                  "Health/Check of externalscaler.ExternalScaler returns SERVING",
                  json.dumps(health))


def main():
    amqp_url = os.environ.get("RMQ_AMQP_URL", DEFAULT_AMQP_URL)
    management = ManagementApi(os.environ.get("RMQ_HTTP_URL", DEFAULT_HTTP_URL))
    management.check_reachable()

    checks = Checks()
    queue = f"reflection-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    management.declare_queue(queue)
    scaler = None
    try:
        management.publish(queue, MESSAGES)
        with tempfile.TemporaryDirectory(prefix="krs-reflection-") as workdir:
            reflection_pb2 = compile_reflection_proto(workdir)
            scaler = ScalerProcess()
            with grpc.insecure_channel(f"127.0.0.1:{scaler.port}") as channel:
                client = ReflectionClient(channel, reflection_pb2)
                run(checks, channel, client, amqp_url, queue)
            code = scaler.stop()
            scaler = None
            checks.expect(code == 0, "rabbitmq-scaler exits 0 on SIGTERM", f"exit code {code}")
    except Exception as error:  # report, then count it as a failed check
        checks.expect(False, "test ran to the end", repr(error))
    finally:
        if scaler is not None:
            scaler.process.kill()
        management.delete_queue(queue)

    print(f"reflection: {checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
