/** Anything that can receive a text message: a wsgate connection, or a Nest gateway's client. */
export interface ChatMember {
  send(text: string): unknown;
}

/** Members a room takes by default (see ChatRoom). */
export const DEFAULT_MAX_CHAT_MEMBERS = 100;

/**
 * The connection limits of every demo's `/chat`: chat messages are small, and every message is
 * sent to every member, so a member that does not read is closed (1013) once 1 MiB waits for it
 * rather than the default 16 MiB: a full room of members that never read holds about 100 MiB,
 * not 1.6 GiB.
 */
export const CHAT_CONNECTION_LIMITS = {
  maxMessageBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
} as const;

/**
 * The chat of the demo apps, framework-agnostic. The wire format is Nest's `{ event, data }`, so
 * the same page talks to every demo: the client sends `join` {name} and `message` {text}; the
 * room sends `welcome`, `joined`, `left`, `message` and `error`.
 *
 * A room takes at most `maxMembers`: every join and leave sends the whole list of names to
 * every member, so n joins cost about n³ bytes (1,000 members joining made a demo hold GiBs
 * and stall for a minute); a join beyond the limit gets an error.
 */
export class ChatRoom {
  private readonly members = new Map<ChatMember, string>();

  constructor(readonly maxMembers = DEFAULT_MAX_CHAT_MEMBERS) {}

  get size(): number {
    return this.members.size;
  }

  online(): string[] {
    return [...this.members.values()].sort();
  }

  join(member: ChatMember, name: unknown): void {
    if (typeof name !== 'string' || !/^[\p{L}\p{N} _.-]{1,32}$/u.test(name.trim())) {
      this.error(member, 'a name is 1 to 32 letters, digits, spaces, dots, dashes or underscores');
      return;
    }
    const clean = name.trim();
    const previous = this.members.get(member);
    if (previous === undefined && this.members.size >= this.maxMembers) {
      this.error(member, `the room is full (${this.maxMembers} members); try again later`);
      return;
    }
    this.members.set(member, clean);
    member.send(JSON.stringify({ event: 'welcome', data: { name: clean, online: this.online() } }));
    if (previous === undefined)
      this.broadcast('joined', { name: clean, online: this.online() }, member);
  }

  say(member: ChatMember, text: unknown): void {
    const name = this.members.get(member);
    if (name === undefined) {
      this.error(member, 'join the room with a name first');
      return;
    }
    if (typeof text !== 'string' || text.length === 0 || text.length > 2000) {
      this.error(member, 'a message is 1 to 2000 characters of text');
      return;
    }
    this.broadcast('message', { from: name, text, at: new Date().toISOString() });
  }

  leave(member: ChatMember): void {
    const name = this.members.get(member);
    if (name === undefined) return;
    this.members.delete(member);
    this.broadcast('left', { name, online: this.online() });
  }

  /** Handles one raw message from a member: JSON `{ event, data }`. */
  handle(member: ChatMember, raw: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      this.error(member, 'messages are JSON: {"event":"join","data":{"name":"Ada"}}');
      return;
    }
    const { event, data } = (parsed ?? {}) as {
      event?: unknown;
      data?: { name?: unknown; text?: unknown };
    };
    if (event === 'join') this.join(member, data?.name);
    else if (event === 'message') this.say(member, data?.text);
    else this.error(member, `unknown event ${JSON.stringify(event)}; use "join" or "message"`);
  }

  private error(member: ChatMember, message: string): void {
    member.send(JSON.stringify({ event: 'error', data: { message } }));
  }

  private broadcast(event: string, data: unknown, except?: ChatMember): void {
    const text = JSON.stringify({ event, data });
    for (const member of this.members.keys()) if (member !== except) member.send(text);
  }
}
