/** Open connections by protocol (`millrace_connections`; CONSOLE-SPEC §2.3). */
export const CONNECTION_PROTOCOLS = ['h1', 'h2c', 'tls-h1', 'tls-h2'] as const;
export type ConnectionProtocol = (typeof CONNECTION_PROTOCOLS)[number];

export class ConnectionMetrics {
  readonly open: Record<ConnectionProtocol, number> = { h1: 0, h2c: 0, 'tls-h1': 0, 'tls-h2': 0 };
  readonly accepted: Record<ConnectionProtocol, number> = { h1: 0, h2c: 0, 'tls-h1': 0, 'tls-h2': 0 };

  opened(protocol: ConnectionProtocol): void {
    this.open[protocol]++;
    this.accepted[protocol]++;
  }

  closed(protocol: ConnectionProtocol): void {
    this.open[protocol]--;
  }
}
