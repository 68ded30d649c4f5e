#!/usr/bin/env bash
# Copies the real recorded describes the emulator's metadata starts from out of
# the shared fixtures (../shared/fixtures/salesforce/cumulusci), compacted and
# gzipped, into describes/. Run from this directory; the output is committed.
set -euo pipefail
src=${1:-../../../../shared/fixtures/salesforce/cumulusci}
for pair in \
  Account:GET_data_vxx_0_sobjects_Account_describe__638631126f.json \
  Contact:GET_data_vxx_0_sobjects_Contact_describe__f2e090473f.json \
  Lead:GET_data_vxx_0_sobjects_Lead_describe__f40add8a7f.json \
  Opportunity:GET_data_vxx_0_sobjects_Opportunity_describe__30eddb11e7.json \
  Case:GET_data_vxx_0_sobjects_Case_describe__f25682604c.json \
  Event:GET_data_vxx_0_sobjects_Event_describe__37a79f3d2e.json \
  OpportunityContactRole:GET_data_vxx_0_sobjects_OpportunityContactRole_describe__3411b79073.json; do
  name=${pair%%:*}; file=${pair#*:}
  python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), sys.stdout, separators=(",",":"))' "$src/$file" | gzip -9n > "describes/$name.json.gz"
done
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), sys.stdout, separators=(",",":"))' "$src/GET_data_vxx_0_sobjects__7fd5e6fd75.json" | gzip -9n > describes/_global.json.gz
