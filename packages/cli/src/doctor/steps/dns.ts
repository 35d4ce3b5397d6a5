import { isIP } from 'node:net';
import type { ProbeContext } from '../probe-context.js';
import { resolveHost } from '../transport/resolve.js';

/** The dns step: the host name resolves (skipped for an IP address). */
export async function runDnsStep(probe: ProbeContext): Promise<boolean> {
  const host = probe.target.host;
  if (isIP(host) !== 0) {
    probe.address = host;
    return probe.skip('dns', `${host} is an IP address: nothing to resolve`);
  }
  const result = await resolveHost(host, probe.options.lookup, probe.timeoutMs);
  if (!result.ok) {
    const code = result.error?.code ?? 'no address';
    // EAI_AGAIN and our own timeout say the resolver did not answer; others, that the name is unknown.
    const temporary = code === 'EAI_AGAIN' || code === 'ETIMEOUT';
    return probe.failWith(
      'dns',
      'WSG_DNS_FAILED',
      {
        summary: `${host} did not resolve: ${code} after ${result.ms} ms.`,
        observed: [
          `lookup(${JSON.stringify(host)}): ${code}${result.error ? ` (${result.error.message})` : ''}, after ${result.ms} ms`,
        ],
        causes: temporary
          ? [
              'The DNS server did not answer in time, or is unreachable from here (a temporary failure).',
              'The network is down or a VPN is required.',
            ]
          : [
              `The name ${host} does not exist: a typo, or a name that only resolves inside another network (a container name, a VPN, another machine's /etc/hosts).`,
              'The DNS record was removed or not created yet.',
            ],
        fix: [
          `Check the spelling, then: getent hosts ${host}`,
          'Or probe the IP address directly to take DNS out of the picture.',
        ],
      },
      result.ms,
    );
  }
  probe.address = result.addresses[0]?.address ?? '';
  const all = result.addresses.map((item) => item.address).join(', ');
  return probe.pass('dns', `${host} → ${all} in ${result.ms} ms`, result.ms);
}
