#!/usr/bin/env bash
# The DCT-scaled decode floor: `djpeg -scale 1/8` per image (decode only, to /dev/null), speaking
# bench/src/protocol.ts. Usage: djpeg_floor.sh PASSES WARMUP_PASSES FILE...
set -euo pipefail
passes=$1 warmup=$2
shift 2
for ((i = 0; i < warmup; i++)); do
  for f in "$@"; do djpeg -scale 1/8 -outfile /dev/null "$f"; done
done
echo ready
read -r _
# Children's CPU time (user + system clock ticks) from /proc: fields 16 and 17 of our stat line.
children_ticks() {
  local stat
  read -ra stat </proc/$$/stat
  echo $((stat[15] + stat[16]))
}
out=""
ticks=$(children_ticks)
start=$EPOCHREALTIME
for ((i = 0; i < passes; i++)); do
  for f in "$@"; do
    t=$EPOCHREALTIME
    djpeg -scale 1/8 -outfile /dev/null "$f"
    u=$EPOCHREALTIME
    out+="img ${f##*/} $(((${u/./} - ${t/./}) / 1000)).$(printf '%03d' $(((${u/./} - ${t/./}) % 1000)))"$'\n'
  done
done
end=$EPOCHREALTIME
cpu_ms=$((($(children_ticks) - ticks) * 1000 / $(getconf CLK_TCK)))
printf 'start %s\n%scpu %s\nend %s\n' "$((${start/./} / 1000)).${start: -3}" "$out" "$cpu_ms" "$((${end/./} / 1000)).${end: -3}"
