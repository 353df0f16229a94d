// The scatter/gather DMA assumption: one answer, for the whole broker, to
// "does the NIC gather bytes straight from page-cache pages?".
//
// It decides what sendfile(2) and splice(2) cost. With scatter/gather (the
// device's NETIF_F_SG bit), TCP hands the device references to the page-cache
// pages and the CPU copies nothing; without it the kernel copies the bytes
// into socket buffers first (one kernel->kernel copy). The modelled modes
// (`sendfile`, `splice`) and the real `native-sendfile` (whose copies are
// inferred, not measured) must count the same path the same way, so they all
// read this one assumption.
//
// Where it comes from, in order:
//   flag      --sg-dma true|false (COPYLESS_SG_DMA), or set at run time;
//   detected  the device that owns the address the Kafka listener binds to,
//             asked through the native addon (ETHTOOL_GSG, what `ethtool -k`
//             shows as "scatter-gather"); the loopback device always has it,
//             so a loopback listener is known to without asking;
//   default   off, when there is no single device (a wildcard address) or it
//             cannot be asked: counting the copy is the conservative choice.

import os from 'node:os';

export interface SgDmaAssumption {
  enabled: boolean;
  source: 'flag' | 'detected' | 'default';
  /** Why, in words: "loopback interface lo: scatter-gather on (ETHTOOL_GSG)", "--sg-dma false given". */
  detail: string;
}

/** Asks the kernel about one device: its scatter/gather bit, or why it could not say. */
export type SgDmaProbe = (ifname: string) => { enabled: boolean } | { reason: string };

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

export function sgDmaAssumption(o: {
  flag: boolean | null;
  /** The address the Kafka listener binds to (config `host`). */
  host: string;
  probe: SgDmaProbe;
  interfaces?: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}): SgDmaAssumption {
  if (o.flag !== null) return { enabled: o.flag, source: 'flag', detail: `--sg-dma ${o.flag} given` };
  if (WILDCARD_HOSTS.has(o.host)) {
    return { enabled: false, source: 'default', detail: `listening on every interface (host ${o.host || '(any)'}): no single device to ask, so no scatter/gather assumed; set --sg-dma to choose` };
  }
  const device = deviceOf(o.host, o.interfaces ?? os.networkInterfaces());
  if (!device) {
    return { enabled: false, source: 'default', detail: `host ${o.host} is not an address of a local interface, so no scatter/gather assumed; set --sg-dma to choose` };
  }
  const kind = device.loopback ? 'loopback interface' : 'interface';
  const asked = o.probe(device.name);
  if ('enabled' in asked) {
    return { enabled: asked.enabled, source: 'detected', detail: `${kind} ${device.name}: scatter-gather ${asked.enabled ? 'on' : 'off'} (ETHTOOL_GSG)` };
  }
  if (device.loopback) {
    return { enabled: true, source: 'detected', detail: `${kind} ${device.name}: the loopback driver always does scatter-gather (not asked: ${asked.reason})` };
  }
  return { enabled: false, source: 'default', detail: `${kind} ${device.name}: scatter-gather unknown (${asked.reason}), so none assumed; set --sg-dma to choose` };
}

/** The interface owning `host` (an address, `localhost`, or anywhere in 127/8, which lo owns), and whether it is the loopback device. */
function deviceOf(host: string, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): { name: string; loopback: boolean } | null {
  const address = host.replace(/^\[(.*)\]$/, '$1');
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      const loopbackName = address === 'localhost' || (address.startsWith('127.') && info.family === 'IPv4');
      if (info.address === address || (loopbackName && info.internal)) return { name, loopback: info.internal };
    }
  }
  return null;
}
