#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, reachable on 127.0.0.1 only, for testing the
# project's `slurm` Hydra launcher against the real engine (tests/test_engines.py, .ci/run).
#
#   bash scripts/slurm-localhost.sh          # install (Debian's slurm-wlm, munge), configure, start
#   bash scripts/slurm-localhost.sh status   # exit 0 when the node takes jobs
#   bash scripts/slurm-localhost.sh stop     # stop the daemons this script started
#
# Needs root (apt-get, daemons) on Debian/Ubuntu. It writes /etc/slurm/slurm.conf only if that file
# is absent or was written by this script (it carries the marker below), so a real cluster's
# configuration is never touched. Daemons: munged (a unix socket), slurmctld (port 6817) and slurmd
# (port 6818), both bound to 127.0.0.1 (CommunicationParameters=NoInAddrAny,NoCtldInAddrAny with
# every address 127.0.0.1 and this host's name resolving to 127.x), running as root; processes are tracked without cgroups (proctrack/linuxproc), so it
# runs in containers. State and logs: /var/lib/slurm-localhost, /var/log/slurm-localhost.
set -euo pipefail

MARK="# written by coalition-credibility scripts/slurm-localhost.sh"
CONF=/etc/slurm/slurm.conf
STATE=/var/lib/slurm-localhost
LOGS=/var/log/slurm-localhost
cmd=${1:-start}

die() { echo "error: slurm-localhost: $*" >&2; exit 1; }

node_ready() {
  # the node answers and is idle/mixed/allocated (not down, drained or unknown)
  local st
  st=$(sinfo -h -n localhost -o '%T' 2>/dev/null | head -1) || return 1
  case "$st" in idle*|mix*|alloc*|completing*) return 0 ;; *) return 1 ;; esac
}

stop_slurm() {  # the daemons this script started (their pid files are in $STATE)
  for d in slurmd slurmctld; do
    local pid
    pid=$(cat "$STATE/$d.pid" 2>/dev/null) || continue
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
}

stop_daemons() {
  stop_slurm
  if [ -s /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null \
      && [ -e "$STATE/munged.started-here" ]; then
    kill "$(cat /run/munge/munged.pid)" || true
    rm -f "$STATE/munged.started-here"
  fi
}

case "$cmd" in
  status) node_ready && { echo "slurm-localhost: node localhost is up"; exit 0; }
          echo "slurm-localhost: no node up" >&2; exit 1 ;;
  stop) stop_daemons; echo "slurm-localhost: stopped"; exit 0 ;;
  start) ;;
  *) die "unknown command '$cmd' (allowed: start, status, stop)" ;;
esac

[ "$(id -u)" -eq 0 ] || die "needs root (it installs packages and starts daemons)"
# slurmctld binds to the address this host's name resolves to: it must be a loopback address
addr=$(getent hosts "$(hostname)" | awk '{print $1; exit}')
case "$addr" in
  127.*) ;;
  *) die "this host's name ($(hostname)) resolves to '${addr:-nothing}', not a loopback address; \
add '127.0.1.1 $(hostname)' to /etc/hosts so that the daemons listen on loopback only" ;;
esac
command -v apt-get >/dev/null || die "needs apt-get (Debian or Ubuntu)"

if command -v sinfo >/dev/null && node_ready; then
  echo "slurm-localhost: already up"; exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  echo ">> installing slurm-wlm and munge (Debian packages)"
  apt-get update -qq
  # policy-rc.d: the packages' own service start (systemd) is not wanted here
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.slurm-localhost
  chmod +x /usr/sbin/policy-rc.d.slurm-localhost
  [ -e /usr/sbin/policy-rc.d ] || ln -s policy-rc.d.slurm-localhost /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >/dev/null
  [ "$(readlink /usr/sbin/policy-rc.d 2>/dev/null)" = policy-rc.d.slurm-localhost ] \
    && rm -f /usr/sbin/policy-rc.d
  rm -f /usr/sbin/policy-rc.d.slurm-localhost
fi

if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  die "$CONF exists and was not written by this script: not touching a real cluster's config"
fi

mkdir -p "$STATE/ctld" "$STATE/d" "$LOGS" /etc/slurm
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat > "$CONF" <<EOF
$MARK
# A one-node cluster on 127.0.0.1 for tests. Not for production use.
ClusterName=localhost
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
MinJobAge=300
MaxArraySize=10001
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

# munge: its key comes with the package; start the daemon (unix socket only) unless it runs
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  [ -s /etc/munge/munge.key ] || { /usr/sbin/mungekey --create 2>/dev/null \
      || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
  touch "$STATE/munged.started-here"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die "munged does not answer (see /var/log/munge/munged.log)"
fi

stop_slurm
echo ">> starting slurmctld and slurmd on 127.0.0.1"
slurmctld -c                     # -c: clear previous job state (a test cluster)
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping | grep -q UP || die "slurmctld does not answer (see $LOGS/slurmctld.log)"
slurmd -N localhost
for _ in $(seq 150); do node_ready && break; sleep 0.2; done
if ! node_ready; then
  scontrol update nodename=localhost state=resume 2>/dev/null || true
  sleep 2
fi
node_ready || { tail -20 "$LOGS/slurmd.log" >&2; die "node localhost does not come up"; }
if command -v ss >/dev/null; then   # say where the daemons listen
  ss -ltnp 2>/dev/null | awk '/slurm/ {print "listening: " $4}' || true
fi
sinfo
echo "slurm-localhost: up (sinfo, squeue, sbatch work; stop with: bash $0 stop)"
