#!/bin/sh
# run.sh BINARY SECONDS: one libFuzzer target for a bounded time, on a scratch
# copy of its seed corpus (tests/fuzz/corpus/NAME). Prints one line when it
# found nothing; the fuzzer's report and a non-zero exit when it did.
set -u
bin=$1
secs=$2
name=${bin##*/fuzz_}
dir=$(dirname "$bin")
corpus=$dir/corpus-$name
log=$dir/$name.log
mkdir -p "$corpus"
cp -r "tests/fuzz/corpus/$name/." "$corpus/" 2>/dev/null || :
dict=""
[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
# shellcheck disable=SC2086 # dict is one option or none
if "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$dir/$name-" \
	$dict "$corpus" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "fuzz $name: ${secs} s, ${runs:-?} runs, no finding"
else
	echo "fuzz $name: FINDING (see $log)"
	tail -n 60 "$log"
	exit 1
fi
