import type { HandshakeCode } from '../errors/catalogue.js';
import type { WebSocketConnection } from './connection.js';
import type { HandshakeRequest } from './handshake-request.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  type ServerOptions,
} from './server-options.js';

/** Why a handshake was not admitted: its catalogue code (503) and a detail. */
export interface AdmissionRefusal {
  readonly code: HandshakeCode;
  readonly detail: string;
}

/** An admitted handshake: the address it counts against, when a per-address limit is set. */
export interface AdmissionTicket {
  readonly address: string | undefined;
}

const withoutAddress: AdmissionTicket = { address: undefined };

/**
 * A server's connection counts: the total (`maxConnections`, handshakes in progress included, so
 * that slow hooks cannot let a burst past it) and per peer address (`maxConnectionsPerAddress`).
 */
export class Admission {
  /** Handshakes admitted and not yet open or refused (the application's hook may take a while). */
  #handshakes = 0;
  readonly #perAddress = new Map<string, number>();
  /** The peer address of each open connection, kept only with a per-address limit. */
  readonly #addresses = new Map<WebSocketConnection, string>();

  constructor(private readonly options: ServerOptions) {}

  /** Admits a handshake, or says why not; an admitted one ends with `handshakeEnded`. */
  admit(request: HandshakeRequest, openConnections: number): AdmissionTicket | AdmissionRefusal {
    const maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (openConnections + this.#handshakes >= maxConnections) {
      return { code: 'WSG_TOO_MANY_CONNECTIONS', detail: `${maxConnections} connections are open` };
    }
    const perAddressLimit =
      this.options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    this.#handshakes++;
    // Only a per-address limit needs the peer's address (a system call per socket).
    if (perAddressLimit <= 0) return withoutAddress;
    const address = request.remoteAddress ?? '';
    const count = this.#perAddress.get(address) ?? 0;
    if (count >= perAddressLimit) {
      this.#handshakes--;
      return {
        code: 'WSG_TOO_MANY_CONNECTIONS_FROM_CLIENT',
        detail: `${perAddressLimit} connections from this address are open`,
      };
    }
    this.#perAddress.set(address, count + 1);
    return { address };
  }

  /**
   * An admitted handshake ended: its connection opened (`connection`), or it was refused or
   * abandoned (its address no longer counts).
   */
  handshakeEnded(ticket: AdmissionTicket, connection: WebSocketConnection | undefined): void {
    this.#handshakes--;
    if (ticket.address === undefined) return;
    if (connection === undefined) this.#forget(ticket.address);
    else this.#addresses.set(connection, ticket.address);
  }

  /** A connection closed: its address no longer counts. */
  connectionClosed(connection: WebSocketConnection): void {
    const address = this.#addresses.get(connection);
    if (address === undefined) return;
    this.#addresses.delete(connection);
    this.#forget(address);
  }

  #forget(address: string): void {
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
  }
}

export function isAdmissionRefusal(
  outcome: AdmissionTicket | AdmissionRefusal,
): outcome is AdmissionRefusal {
  return 'code' in outcome;
}
