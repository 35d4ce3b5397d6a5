/**
 * The names of core's OpenTelemetry instruments and attributes. OpenTelemetry has no WebSocket
 * semantic conventions yet; these follow the style of its messaging and SignalR conventions,
 * under the `wsgate.` namespace (docs/observability.md lists units and attributes).
 */
export const MetricName = {
  activeConnections: 'wsgate.server.active_connections',
  connectionDuration: 'wsgate.server.connection.duration',
  handshakes: 'wsgate.server.handshakes',
  closes: 'wsgate.server.closes',
  messages: 'wsgate.server.messages',
  networkIo: 'wsgate.server.network.io',
  slowConsumerActions: 'wsgate.server.slow_consumer.actions',
  compressionPending: 'wsgate.server.compression.pending',
  topicPublishes: 'wsgate.topics.publishes',
  topicDeliveries: 'wsgate.topics.deliveries',
  topicSubscriptions: 'wsgate.topics.subscriptions',
  backplaneLag: 'wsgate.backplane.lag',
  backplaneReconnects: 'wsgate.backplane.reconnects',
  topicRecoveries: 'wsgate.topics.recoveries',
} as const;

export const AttributeName = {
  /** `accepted` or `refused` (handshakes); `recovered` or `not_recovered` (recoveries). */
  outcome: 'wsgate.outcome',
  /** The catalogue code (`WSG_…`) of a refusal or of the error that closed a connection. */
  code: 'wsgate.code',
  /** The semantic conventions' error attribute: the catalogue code too. */
  errorType: 'error.type',
  /** The close code: 1000-1015 as such, 3000-3999 as `3xxx`, 4000-4999 as `4xxx` (bounded). */
  closeCode: 'wsgate.close_code',
  /** `receive` or `transmit` (the semantic conventions' attribute). */
  direction: 'network.io.direction',
  /** `drop` or `close`: what the slow-consumer policy did. */
  slowConsumerAction: 'wsgate.slow_consumer.action',
  /** `subscribe` (a client's `since`) or `reconnect` (live delivery filled after an outage). */
  recoveryTrigger: 'wsgate.recovery.trigger',
} as const;

/** A close code as a metric attribute: any code a peer sends, within a bounded set of values. */
export function closeCodeAttribute(code: number): string {
  if (code >= 1000 && code <= 1015) return String(code);
  if (code >= 3000 && code <= 3999) return '3xxx';
  if (code >= 4000 && code <= 4999) return '4xxx';
  return 'other';
}
