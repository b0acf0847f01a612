#!/usr/bin/env bash
# `make demo`: boot a two-node simulated Atlas 900 A2 PODc cluster (bare: no driver, no RoCE
# addresses), run site.yml on it exactly as on real hardware (it ends with Ray up and the
# smoke job on every NPU), check the seed's Qwen2.5-32B recipe against it (train.yml dry run),
# print a short summary, and tear the cluster down unless KEEP=1.  Every demo provisions a
# fresh cluster and runs every stage on it, so every demo takes minutes: about three on two
# cores once the node rootfs and the downloads are cached; the first run adds those (the
# rootfs about a minute, the downloads as fast as PyPI answers).
set -euo pipefail
cd "$(dirname "$0")/.."
name=demo
sim=tools/simcluster/simcluster
inventory=build/sim/$name/hosts.yml
export ANSIBLE_CONFIG=$PWD/ansible.cfg

"$sim" down "$name" >/dev/null        # a cluster kept by an earlier KEEP=1 demo
if [ "${KEEP:-0}" != 1 ]; then
  trap '"$sim" down "$name"' EXIT
fi

# The Huawei packages, as installer stand-ins with the real names and a SHA256SUMS:
# on real hardware this directory holds the files you downloaded.
packages=build/artifacts/seed
"$sim" artifacts --stack seed --out "$packages" --arch "$(uname -m)"

t0=$(date +%s.%N)
# Fresh servers: no driver, and RoCE ports without addresses until the fabric stage gives
# them the plan simcluster wrote into the inventory (fabric_plan).
"$sim" up "$name" --profile a2 --nodes 2 --unaddressed
t1=$(date +%s.%N)
.venv/bin/ansible-playbook site.yml -i "$inventory" -e artifact_source_path="$PWD/$packages" -e hdk_health_delay=1
t2=$(date +%s.%N)
# The last mile: the recipe's model and data where it looks for them (empty stand-ins here),
# checkpoints on the cluster's shared storage, then everything but the launch.
for node in node1 node2; do
  "$sim" ssh "$name" "$node" "mkdir -p /data/models/Qwen2.5-32B /data/datasets/deepscaler &&
    touch /data/datasets/deepscaler/train.parquet /data/datasets/deepscaler/test.parquet"
done
.venv/bin/ansible-playbook playbooks/train.yml -i "$inventory" -e train_recipe=qwen2_5_32b_fsdp \
  -e train_dry_run=true -e train_ckpt_root=/shared/ckpt
t3=$(date +%s.%N)

echo
echo "== demo summary"
"$sim" status "$name"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" \
  'BEGIN { printf "cluster up: %.1f s   site.yml: %.1f s   train.yml dry run: %.1f s\n", b - a, c - b, d - c }'
if [ "${KEEP:-0}" = 1 ]; then
  echo "kept: ansible-playbook <playbook> -i $inventory | $sim ssh $name node1 | make sim-down NAME=$name"
else
  echo "tearing the cluster down (KEEP=1 keeps it)"
fi
