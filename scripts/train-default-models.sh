#!/usr/bin/env bash
# Reproduces models/default and models/default-draft: corpus -> tokenizer -> target -> draft -> acceptance -> Medusa heads.
# Each training step runs in the foreground here; for long runs start them with nohup (they resume from RUN/<name>/checkpoint).
# Usage: scripts/train-default-models.sh [work-dir]   (default /work/train-runs)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/work/train-runs}"
dotnet build -c Release "$repo/src/GenCluster.Cli" -o "$work/bin/cli"
run="$work/bin/cli/gencluster"

"$repo/scripts/make-corpus.sh" "$work/corpus/kjv"
"$run" train tokenizer --data "$work/corpus/kjv" --out "$work/tokenizer" --vocab 4096

"$run" train lm --data "$work/corpus/kjv" --tokenizer "$work/tokenizer" \
  --run-dir "$work/target" --out "$repo/models/default" --steps 5000 --minutes 92 \
  --hidden 256 --intermediate 768 --layers 4 --heads 8 --kv-heads 4 --context 256 --batch 8 \
  --lr 1.5e-3 --min-lr 1.5e-4 --warmup 30 --checkpoint-every 25 --eval-every 200 --log-every 5 --threads 1 --dtype bf16

"$run" train lm --data "$work/corpus/kjv" --tokenizer "$work/tokenizer" \
  --run-dir "$work/draft" --out "$repo/models/default-draft" --steps 20000 --minutes 75 \
  --hidden 128 --intermediate 384 --layers 2 --heads 4 --kv-heads 2 --context 256 --batch 8 \
  --lr 2e-3 --min-lr 2e-4 --warmup 30 --checkpoint-every 50 --eval-every 200 --log-every 20 --threads 1 --dtype f32

"$run" train acceptance --target "$repo/models/default" --draft "$repo/models/default-draft" --data "$work/corpus/kjv" --k 4

"$run" train medusa --model "$repo/models/default" --data "$work/corpus/kjv/train.txt" --output "$repo/models/default-medusa" \
  --steps 300 --batch-size 8 --seq-len 128
