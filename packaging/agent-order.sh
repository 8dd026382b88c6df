#!/usr/bin/env bash
# packaging/agent-order.sh — writes packaging/agent.order, the agent's functions in the order the linker lays
# them out in release builds (Package.swift passes it to lld with --symbol-ordering-file).
#
# An idle agent's resident set is mostly the pages of its own binary that it has touched, and the kernel maps
# whole cached folios around each page touched. With the functions an agent runs scattered over 25 MB of
# text, most of the text ends up resident; laid out together they fit in a few megabytes.
#
# The order comes from a real run: a release controller on its embedded PostgreSQL, and the release agent under
# valgrind's callgrind. First what an agent does from its start to idling in its long poll; then what running a
# small task adds (passing, failing and timing-out cases with logs), and stopping on SIGTERM. Every function
# executed in the first part comes first, then those only the second part ran. Run it again when the agent or
# its dependencies change much; functions missing from the list still link, they are only laid out elsewhere.
# Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install -y valgrind" >&2; exit 1; }

build=(swift build -c release --static-swift-stdlib --scratch-path .build-release)
for product in testfleet-controller testfleet-agent; do "${build[@]}" --product "$product" >&2; done
bin="$("${build[@]}" --show-bin-path)"

work="$(mktemp -d /tmp/testfleet-order.XXXXXX)"
controller_pid=""
agent_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "$controller_pid" ] && kill "$controller_pid" 2>/dev/null && wait "$controller_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="https://127.0.0.1:$port"
"$bin/testfleet-controller" serve --data-dir "$work/data" --host 127.0.0.1 --port "$port" --set log_level=error \
  >"$work/controller.log" 2>&1 &
controller_pid=$!
ca="$work/data/tls/ca.crt"
for _ in $(seq 1 240); do
  if [ -f "$ca" ] && curl -sf --cacert "$ca" "$url/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -sf --cacert "$ca" "$url/readyz" >/dev/null || { cat "$work/controller.log" >&2; exit 1; }

# A valgrind-sized agent binary: same code and symbols, without the DWARF it cannot read.
objcopy --strip-debug "$bin/testfleet-agent" "$work/testfleet-agent"
mkdir -p "$work/tool" "$work/agent"
printf '#!/bin/sh\necho "case $1"\ncase "$1" in *fail*) exit 1;; *slow*) sleep 30;; esac\n' >"$work/tool/run.sh"
chmod +x "$work/tool/run.sh"

python3 - "$url" "$ca" "$work" <<'EOF'
import base64, json, ssl, subprocess, sys, time, urllib.request

url, ca, work = sys.argv[1:4]
context = ssl.create_default_context(cafile=ca)
password = open(f"{work}/data/initial-admin-password").read().strip()
auth = "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()

def api(method, path, body=None):
    request = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context) as response:
        text = response.read()
        return json.loads(text) if text else None

product = api("POST", "/api/v1/products", {"name": "order-profile", "version": "1.0"})
tool = api("POST", "/api/v1/tools", {"name": "sh", "version": "1", "run_command": "{tool_dir}/run.sh {case}"})
api("PUT", f"/api/v1/products/{product['id']}/tools", {"tool_ids": [tool["id"]]})
token = api("POST", "/api/v1/enrollment-tokens", {"ttl_s": 600})["token"]
fingerprint = subprocess.run(f"openssl x509 -in {ca} -outform DER | sha256sum | cut -d' ' -f1", shell=True,
                             capture_output=True, text=True, check=True).stdout.strip()
agent = [f"{work}/testfleet-agent"]
config = f"{work}/agent/agent.toml"
subprocess.run(agent + ["enroll", "--controller", url, "--token", token, "--ca-sha256", fingerprint, "--config", config,
                        "--name", "order-profile"], check=True, stdout=subprocess.DEVNULL)
with open(config, "a") as f:
    f.write(f'\n[[product]]\nname = "order-profile"\nversion = "1.0"\npath = "{work}/tool"\n'
            f'\n[[product.tool]]\nname = "sh"\nversion = "1"\npath = "{work}/tool"\n')
log = open(f"{work}/agent.log", "w")
process = subprocess.Popen(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={work}/callgrind.out"]
                           + agent + ["run", "--config", config], stdout=log, stderr=subprocess.STDOUT)
def online():
    return any(n["name"] == "order-profile" and n["state"] == "online" for n in api("GET", "/api/v1/nodes")["items"])

deadline = time.time() + 300
while not online():
    if time.time() > deadline or process.poll() is not None:
        sys.exit(f"the profiled agent did not come online; see {work}/agent.log")
    time.sleep(1)
time.sleep(10)  # idle in the long poll
subprocess.run(["callgrind_control", "--dump=idle", str(process.pid)], check=True, stdout=subprocess.DEVNULL)
task = api("POST", "/api/v1/tasks", {"product": {"name": "order-profile", "version": "1.0"},
                                     "tool": {"name": "sh", "version": "1"}, "case_timeout_s": 5,
                                     "cases": ["ok-1", "ok-2", "fail-1", "slow-1", "ok-3"]})
deadline = time.time() + 600
while api("GET", f"/api/v1/tasks/{task['id']}")["state"] not in ("completed", "cancelled"):
    if time.time() > deadline or process.poll() is not None:
        sys.exit("the profiled agent did not finish its task; see " + f"{work}/agent.log")
    time.sleep(1)
time.sleep(10)  # idle in the long poll
process.terminate()
process.wait(timeout=300)
EOF

# Functions named in a profile (callgrind names each once, in a fn= or cfn= line) that the binary defines.
nm --defined-only "$bin/testfleet-agent" | awk '{print $3}' | sort -u >"$work/defined"
executed() { grep -ohP '^c?fn=\(\d+\) \K\S+' "$@" | sort -u | comm -12 - "$work/defined"; }
idle_dump="$(ls "$work"/callgrind.out.* | head -n 1)"
executed "$idle_dump" >"$work/idle"
executed "$work/callgrind.out" | comm -23 - "$work/idle" >"$work/running"
cat "$work/idle" "$work/running" >packaging/agent.order
echo "packaging/agent.order: $(wc -l <"$work/idle") functions an idle agent runs, then $(wc -l <"$work/running") more a case needs" >&2
# The build does not track the order file: link the agent again on its next build.
rm -f "$bin/testfleet-agent"
