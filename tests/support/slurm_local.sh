#!/usr/bin/env bash
# A single-node Slurm cluster in a scratch folder, for the sweep tests:
#   slurm_local.sh start DIR CTLD_PORT SLURMD_PORT   (prints the slurm.conf path)
#   slurm_local.sh stop DIR
# Everything (munge key and socket, state, spool, logs, pid files) lives in
# DIR, so it neither needs nor touches a system Slurm. Needs root.
set -euo pipefail
cmd=$1 dir=$2

stop() {
    for d in slurmd slurmctld munged; do
        if [ -f "$dir/$d.pid" ]; then
            pid=$(cat "$dir/$d.pid")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$dir/$d.pid"
        fi
    done
}

if [ "$cmd" = stop ]; then
    stop
    exit 0
fi

ctld_port=$3 slurmd_port=$4
host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null
chmod 600 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"

cat >"$dir/slurm.conf" <<CONF
ClusterName=citylabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
touch "$dir/cgroup.conf"
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$dir/slurm.conf" -i
slurmd -f "$dir/slurm.conf" -N "$host"
for _ in $(seq 300); do
    state=$(sinfo -h -o %t 2>/dev/null || true)
    case "$state" in idle*|mix*|alloc*) echo "$dir/slurm.conf"; exit 0 ;; esac
    sleep 0.1
done
echo "slurm_local.sh: the node did not come up in 30 s (state '$state'); see $dir/*.log" >&2
stop
exit 1
