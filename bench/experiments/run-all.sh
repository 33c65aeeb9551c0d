#!/usr/bin/env bash
# run-all.sh OUTDIR — experiments 1, 2 (drains) and 3, 4 (format / settings inserts), 3 interleaved repetitions each.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.work/perf}"
M=bench/experiments/matrix.sh
N=perf_narrow_p4; N1=perf_narrow_p1; W=perf_wide_p4; W1=perf_wide_p1
$M "$out/exp1-narrow.csv" 3 \
  n_def:$N:1000000:narrow:100000:16MiB:1s \
  n_r1M:$N:1000000:narrow:1000000:16MiB:1s \
  n_r100k_w5:$N:1000000:narrow:100000:16MiB:5s \
  n_r1M_64M_w5:$N:1000000:narrow:1000000:64MiB:5s \
  n_r1M_256M_w10:$N:1000000:narrow:1000000:256MiB:10s \
  n_p1_def:$N1:1000000:narrow:100000:16MiB:1s \
  n_p1_r1M_256M_w10:$N1:1000000:narrow:1000000:256MiB:10s \
  n_def_stop:$N:1000000:narrow:100000:16MiB:1s:--stop-merges \
  n_r1M_256M_w10_stop:$N:1000000:narrow:1000000:256MiB:10s:--stop-merges
$M "$out/exp1-wide.csv" 3 \
  w_def:$W:300000:wide:100000:16MiB:1s \
  w_64M:$W:300000:wide:100000:64MiB:1s \
  w_r1M_256M:$W:300000:wide:1000000:256MiB:1s \
  w_r1M_256M_w5:$W:300000:wide:1000000:256MiB:5s \
  w_r1M_256M_w10:$W:300000:wide:1000000:256MiB:10s \
  w_p1_def:$W1:300000:wide:100000:16MiB:1s \
  w_p1_r1M_512M_w10:$W1:300000:wide:1000000:512MiB:10s \
  w_def_stop:$W:300000:wide:100000:16MiB:1s:--stop-merges \
  w_r1M_256M_w10_stop:$W:300000:wide:1000000:256MiB:10s:--stop-merges
python3 bench/experiments/formats.py run "$out/exp3-formats.csv" 3 \
  narrow:100000:10:rb narrow:100000:10:native narrow:100000:10:json \
  narrow:1000000:1:rb narrow:1000000:1:native narrow:1000000:1:json narrow:50000:20:rb \
  wide:12500:24:rb wide:12500:24:native wide:12500:24:json \
  wide:100000:3:rb wide:100000:3:native \
  wide:300000:1:rb wide:300000:1:native wide:300000:1:json
python3 bench/experiments/formats.py run "$out/exp4-settings.csv" 3 \
  narrow:100000:10:rb \
  "narrow:100000:10:rb:min_insert_block_size_rows=0&min_insert_block_size_bytes=0" \
  "narrow:100000:10:rb:max_insert_block_size=100000" \
  "narrow:100000:10:rb:insert_deduplicate=0" \
  "narrow:100000:10:rb:max_compress_block_size=4194304&min_compress_block_size=1048576" \
  wide:12500:24:rb \
  "wide:12500:24:rb:max_compress_block_size=4194304&min_compress_block_size=1048576" \
  "wide:12500:24:rb:min_insert_block_size_rows=0&min_insert_block_size_bytes=0"
echo ALL DONE
