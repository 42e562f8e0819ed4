/**
 * Kconfig text (the format of /proc/config.gz, uncompressed) → values for
 * `LoadOptions.kconfig`, read the way libbpf's bpf_object__read_kconfig_file does:
 * y/n/m as tristates, quoted strings, numbers (decimal/hex/octal as strtoull base 0).
 */
import type { KconfigValue } from './api';

export function parseKconfigText(text: string): Record<string, KconfigValue> {
  const out: Record<string, KconfigValue> = {};
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, name, raw] = m;
    if (raw === 'y' || raw === 'n' || raw === 'm') out[name] = raw;
    else if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) out[name] = raw.slice(1, -1);
    else if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(raw)) {
      const neg = raw.startsWith('-');
      const body = neg ? raw.slice(1) : raw;
      const v = body.startsWith('0x') ? BigInt(body) : body.length > 1 && body.startsWith('0') ? BigInt('0o' + body.slice(1)) : BigInt(body);
      const n = neg ? -v : v;
      out[name] = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
  }
  return out;
}

/** KERNEL_VERSION(a, b, c) as libbpf computes LINUX_KERNEL_VERSION from a release string ("6.18.44-…"). */
export function kernelVersionCode(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}
