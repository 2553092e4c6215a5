#!/bin/sh
# 'make run': initialise the demo hub once (examples/demo/demo.json) in DIR,
# then serve it on 127.0.0.1:PORT and print how to talk to it.
# usage: run-demo.sh RENKEI_BINARY DIR PORT
set -eu
bin=$1
dir=$2
port=$3

"$bin" init --data "$dir" --demo examples/demo/demo.json
creds="$dir/demo-credentials.txt"
token=$(awk '$1 == "ipa-analyst" {print $4}' "$creds")
url="http://127.0.0.1:$port"
cat <<EOT

renkei is starting on $url (Ctrl-C stops it). Try, as IPA's analyst:

  curl -H 'Accept: application/taxii+json;version=2.1' \\
       -H 'Authorization: Bearer $token' \\
       $url/taxii2/

  curl -H 'Accept: application/taxii+json;version=2.1' \\
       -H 'Authorization: Bearer $token' \\
       '$url/kyotei-2024/collections/threat-sharing/objects/?limit=5'

Every demo user's password and token: $creds
EOT
exec "$bin" serve --data "$dir" --port "$port"
