#!/usr/bin/env bash
# A multi-process GenCluster on this machine: redis-server (membership, sessions, reminders), N model silos and one
# gateway process (gRPC + OpenAI-compatible HTTP) that reaches them as an Orleans client. Ctrl-C stops everything.
#
#   deploy/local-cluster.sh [--silos N] [--model DIR] [--grpc-port 50051] [--http-port 8000] [--redis-port 6390]
#
# Kill one silo's process while a long generation runs: its session continues on another silo with the same tokens.
set -euo pipefail
cd "$(dirname "$0")/.."

silos=2 model="$PWD/models/default" grpc=50051 http=8000 redis_port=6390
while [ $# -gt 0 ]; do
  case "$1" in
    --silos) silos="$2"; shift 2 ;;
    --model) model="$(cd "$2" && pwd)"; shift 2 ;;
    --grpc-port) grpc="$2"; shift 2 ;;
    --http-port) http="$2"; shift 2 ;;
    --redis-port) redis_port="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }

out="${GENCLUSTER_LOCAL_DIR:-/tmp/gencluster-local}"
mkdir -p "$out"
echo "publishing gencluster-silo to $out/bin ..."
dotnet publish src/GenCluster.Silo -c Release -o "$out/bin" -v quiet -nologo >"$out/publish.log" || { cat "$out/publish.log" >&2; exit 1; }

pids=()
redis_pid=""
# Gateway and silos first, Redis last: a silo shutting down gracefully still writes its membership row, and would hang
# on a Redis that is already gone. Whatever is still up after 30 s is killed.
cleanup() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 30); do
    alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 1
  done
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Its own session: a Ctrl-C reaches the silos (which then leave the cluster through Redis) but not Redis itself.
setsid redis-server --port "$redis_port" --save "" --appendonly no --daemonize no >"$out/redis.log" 2>&1 &
redis_pid=$!
redis="127.0.0.1:$redis_port"
name="$(basename "$model")"
# The model's draft and Medusa heads, when they sit beside it (as models/default-draft and models/default-medusa do).
extras=()
if [ -d "$model-draft" ]; then
  extras+=(--GenCluster:Hosting:Models:0:Draft="$name-draft" --GenCluster:Hosting:Models:1:Name="$name-draft" --GenCluster:Hosting:Models:1:Dir="$model-draft")
fi
[ -d "$model-medusa" ] && extras+=(--GenCluster:Hosting:Models:0:MedusaHeads="$model-medusa")
common=(--GenCluster:Storage:Kind=Redis --GenCluster:Storage:RedisConnection="$redis" --GenCluster:ClusterId=local --GenCluster:ServiceId=local)

for i in $(seq 1 "$silos"); do
  "$out/bin/gencluster-silo" "${common[@]}" --GenCluster:Role=Silo --GenCluster:HttpPort=$((8100 + i)) \
    --GenCluster:SiloPort=$((11110 + i)) --GenCluster:OrleansGatewayPort=$((30000 + i)) \
    --GenCluster:Hosting:Models:0:Name="$name" --GenCluster:Hosting:Models:0:Dir="$model" "${extras[@]}" >"$out/silo-$i.log" 2>&1 &
  pids+=($!)
  echo "silo $i: pid $! (health http://127.0.0.1:$((8100 + i))/health, log $out/silo-$i.log)"
done
sleep 3
"$out/bin/gencluster-silo" "${common[@]}" --GenCluster:Role=Gateway --GenCluster:GrpcPort="$grpc" --GenCluster:HttpPort="$http" >"$out/gateway.log" 2>&1 &
gateway=$!
pids+=($gateway)
echo "gateway: pid $gateway (log $out/gateway.log): gRPC http://127.0.0.1:$grpc, OpenAI-compatible API http://127.0.0.1:$http/v1, model '$name'"
# Silos may come and go (that is the point); the cluster runs as long as its gateway does.
wait "$gateway" || true
echo "the gateway exited; stopping the silos and redis (logs in $out)" >&2
