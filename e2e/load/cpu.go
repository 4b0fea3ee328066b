package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc CPU times; 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

// cpuUse is CPU time by role over one run. The roles: the target under
// test (gateguard or the floor), the control plane it may call, this tool,
// which generates the load on the same cores, and the rest of the machine.
type cpuUse map[string]time.Duration

// cpuMeter reads CPU times of the run's processes and of the machine.
type cpuMeter struct {
	pids map[string]int // by role, but for "rest of machine"
}

// newCPUMeter finds kube-apiserver and etcd among this tool's children
// (envtest starts them); targetPID is gateguard's or the floor's.
func newCPUMeter(targetPID int) cpuMeter {
	m := cpuMeter{pids: map[string]int{"target": targetPID, "load tool": os.Getpid()}}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		comm, ppid, _, ok := readStat(path)
		if ok && ppid == os.Getpid() && (comm == "kube-apiserver" || comm == "etcd") {
			m.pids[comm], _ = strconv.Atoi(filepath.Base(filepath.Dir(path)))
		}
	}
	return m
}

// read returns the CPU time used so far by role; "rest of machine" holds
// the machine's whole busy time, made into the remainder by since.
func (m cpuMeter) read() cpuUse {
	use := cpuUse{}
	for role, pid := range m.pids {
		if _, _, t, ok := readStat(fmt.Sprintf("/proc/%d/stat", pid)); ok {
			use[role] = t
		}
	}
	use["rest of machine"] = machineBusy()
	return use
}

// since is the CPU used between before and u, with "rest of machine" the
// busy time no role accounts for.
func (u cpuUse) since(before cpuUse) cpuUse {
	d := cpuUse{}
	var roles time.Duration
	for role, t := range u {
		if d[role] = t - before[role]; role != "rest of machine" {
			roles += d[role]
		}
	}
	d["rest of machine"] = max(0, d["rest of machine"]-roles)
	return d
}

// readStat parses comm, ppid and utime+stime from /proc/PID/stat.
func readStat(path string) (comm string, ppid int, cpu time.Duration, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, 0, false
	}
	open, closing := strings.IndexByte(string(data), '('), strings.LastIndexByte(string(data), ')')
	if open < 0 || closing < open {
		return "", 0, 0, false
	}
	fields := strings.Fields(string(data[closing+1:])) // from field 3, state
	if len(fields) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return string(data[open+1 : closing]), ppid, time.Duration(utime+stime) * clockTick, true
}

// machineBusy is the machine's non-idle CPU time from /proc/stat.
func machineBusy() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	// cpu user nice system idle iowait irq softirq steal ...: busy is the
	// five fields but idle and iowait; steal, time the hypervisor gave
	// another guest, is no process's here.
	fields := strings.Fields(line)
	var busy int64
	for i, f := range fields[1:min(len(fields), 8)] {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil && i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * clockTick
}
