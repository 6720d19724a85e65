#!/usr/bin/env bash
# Reproduces the shipped models: corpus -> tokenizer -> draft (models/default-draft) -> the draft grown into the target
# (models/default) and trained on -> acceptance -> Medusa heads (models/default-medusa, self-distilled).
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
  --run-dir "$work/draft" --out "$repo/models/default-draft" --steps 20000 --minutes 75 \
  --hidden 128 --intermediate 384 --layers 2 --heads 4 --kv-heads 2 --context 256 --batch 8 \
  --lr 2e-3 --min-lr 2e-4 --warmup 30 --checkpoint-every 50 --eval-every 200 --log-every 20 --threads 1 --dtype f32

# The target starts as the draft grown 4x wide and 3x deep (same function), then trains on (ModelGrowth).
cp -r "$repo/models/default-draft" "$work/grow-source"
"$run" train lm --data "$work/corpus/kjv" --tokenizer "$work/tokenizer" \
  --run-dir "$work/grown" --out "$repo/models/default" --steps 20000 --minutes 80 \
  --hidden 512 --intermediate 1536 --layers 6 --heads 16 --kv-heads 8 --context 256 --batch 8 \
  --lr 6e-4 --min-lr 6e-5 --warmup 60 --checkpoint-every 25 --eval-every 300 --log-every 10 --threads 2 --dtype bf16 \
  --grow-from "$work/grow-source"
cat > "$repo/models/default/generation_config.json" <<'JSON'
{
  "bos_token_id": 0,
  "eos_token_id": 1,
  "pad_token_id": 2,
  "do_sample": true,
  "temperature": 0.8,
  "top_k": 40,
  "top_p": 0.95,
  "repetition_penalty": 1.1
}
JSON

"$run" train acceptance --target "$repo/models/default" --draft "$repo/models/default-draft" --data "$work/corpus/kjv" --k 4

# Medusa heads learn from the target's own greedy continuations of data prompts (self-distillation).
"$run" train medusa --model "$repo/models/default" --data "$work/corpus/kjv/train.txt" --output "$repo/models/default-medusa" \
  --steps 600 --batch-size 8 --seq-len 128 --shared-lm-head --self-distill 2400 --distill-prompt-tokens 8
