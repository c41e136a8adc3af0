#!/bin/sh
# local.sh start DIR | stop DIR -- a one-node Slurm on this machine, for tests (make test-slurm)
# and for trying CLUSTER=slurm without a cluster: munged with its own key and socket, slurmctld
# and slurmd in the foreground of background processes, every file (config, key, state, spool,
# logs, pids) under DIR, nothing from /etc.  No systemd, cgroups or accounting (proctrack/
# linuxproc, task/none); the node line comes from `slurmd -C`.  After `start`, use the cluster
# with SLURM_CONF=DIR/slurm.conf in the environment; `stop` ends the daemons and waits for them.
set -eu
cmd=${1:?usage: local.sh start DIR | stop DIR} dir=${2:?usage: local.sh start DIR | stop DIR}
case $cmd in
stop)
    for p in slurmd slurmctld munged; do
        [ -s "$dir/$p.pid" ] || continue
        pid=$(cat "$dir/$p.pid"); kill "$pid" 2> /dev/null || true
        n=0; while kill -0 "$pid" 2> /dev/null && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
        kill -9 "$pid" 2> /dev/null || true
        rm -f "$dir/$p.pid"
    done
    exit 0 ;;
start) ;;
*) echo "local.sh: unknown command '$cmd' (expected start or stop)" >&2; exit 2 ;;
esac
for b in munged slurmctld slurmd; do
    command -v $b > /dev/null 2>&1 || [ -x /usr/sbin/$b ] || { echo "local.sh: $b not found (make deps-slurm installs slurm-wlm and munge)" >&2; exit 1; }
done
PATH=$PATH:/usr/sbin
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
# free ports near 16817 (another instance may be running)
port=$(( 16817 + $$ % 500 * 2 ))
node=$(slurmd -C | head -1)
head -c 1024 /dev/urandom > "$dir/munge/munge.key"
chmod 700 "$dir/munge"; chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" 2>> "$dir/munged.log"
cat > "$dir/slurm.conf" <<CONF
ClusterName=mta-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MinJobAge=3600
SlurmctldTimeout=30
SlurmdTimeout=30
$node State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
sed -i 's/ UpTime=[^ ]*//' "$dir/slurm.conf"
export SLURM_CONF="$dir/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" > "$dir/slurmctld.out" 2>&1 &
echo $! > "$dir/slurmctld.pid"
sleep 1
slurmd -D -f "$SLURM_CONF" > "$dir/slurmd.out" 2>&1 &
echo $! > "$dir/slurmd.pid"
n=0
while :; do
    st=$(sinfo -h -N -o %T 2> /dev/null | head -1)
    case $st in idle*|mixed*|alloc*) break ;; down*|drain*|unk*) scontrol update nodename="$(echo "$node" | sed 's/NodeName=\([^ ]*\).*/\1/')" state=resume 2> /dev/null || true ;; esac
    n=$((n + 1))
    [ $n -lt 60 ] || { echo "local.sh: the node did not come up (state '$st'); logs in $dir" >&2; exit 1; }
    sleep 1
done
echo "local Slurm up: SLURM_CONF=$SLURM_CONF (node: $node)"
