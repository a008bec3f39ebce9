/** What every run prints first: the machine and the exact command. */
import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  go: string;
  /** Open-file limit (soft/hard) that the servers inherit: it caps connections per process. */
  nofile: string;
  /** Ephemeral port range: ~28k connections per source address and destination. */
  portRange: string;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machine(): Machine {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    go: sh('go', ['env', 'GOVERSION']),
    nofile: `${sh('sh', ['-c', 'ulimit -Sn'])}/${sh('sh', ['-c', 'ulimit -Hn'])}`,
    portRange: sh('sysctl', ['-n', 'net.ipv4.ip_local_port_range']).replace(/\s+/g, '-'),
  };
}

/** The hard open-file limit, which the servers cannot exceed (Go raises its soft limit to it). */
export function hardNofile(): number {
  const v = Number(sh('sh', ['-c', 'ulimit -Hn']));
  return Number.isFinite(v) && v > 0 ? v : 1024;
}

export function softNofile(): number {
  const v = Number(sh('sh', ['-c', 'ulimit -Sn']));
  return Number.isFinite(v) && v > 0 ? v : 1024;
}

export function describeMachine(m: Machine): string {
  return `${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.go}, nofile ${m.nofile}, ports ${m.portRange}`;
}
