#!/bin/sh
# Other nodes and the Lambda API reach a cluster's leader at the address in its lease: this
# task's own private address, unless one is given.
set -e
if [ -z "$HM_ADVERTISED_ADDRESS" ]; then
  HM_ADVERTISED_ADDRESS="http://$(hostname -i | awk '{print $1}'):${PORT:-8080}"
  export HM_ADVERTISED_ADDRESS
fi
exec node --enable-source-maps --max-semi-space-size=64 dist/index.mjs
