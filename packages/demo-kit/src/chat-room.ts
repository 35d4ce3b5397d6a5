import { CHAT_TOPIC } from './backplane.js';

/**
 * A member of the room: a wsgate connection (what it needs of one). Everything a member hears
 * comes through the `chat` topic, so members on every instance of a cluster share one room.
 */
export interface ChatMember {
  send(text: string): unknown;
  subscribe(topic: string, options: { readonly presence: unknown }): Promise<unknown>;
  publish(topic: string, data: string): Promise<unknown>;
  presence(topic: string): Promise<readonly { readonly data: unknown }[]>;
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

function sorted(names: Iterable<string>): string[] {
  return [...names].sort();
}

/**
 * The chat of the demo apps, framework-agnostic. The wire format is Nest's `{ event, data }`, so
 * the same page talks to every demo: the client sends `join` {name} and `message` {text}; the
 * room sends `welcome`, `joined`, `left`, `message` and `error`.
 *
 * The room is the `chat` topic: notices and messages are published to it (formatted once, as
 * the text every member receives), and who is online is its presence, across every instance on
 * the same backplane. An instance takes at most `maxMembers`: every join and leave sends the
 * whole list of names to every member, so n joins cost about n³ bytes; a join beyond the limit
 * gets an error.
 */
export class ChatRoom {
  private readonly members = new Map<ChatMember, string>();

  constructor(readonly maxMembers = DEFAULT_MAX_CHAT_MEMBERS) {}

  /** Members on this instance. */
  get size(): number {
    return this.members.size;
  }

  async join(member: ChatMember, name: unknown): Promise<void> {
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
    try {
      const others = await this.online(member, previous);
      const online = sorted([...others, clean]);
      // Published before subscribing: the newcomer gets `welcome`, the others `joined`.
      if (previous === undefined)
        await member.publish(
          CHAT_TOPIC,
          JSON.stringify({ event: 'joined', data: { name: clean, online } }),
        );
      await member.subscribe(CHAT_TOPIC, { presence: clean });
      member.send(JSON.stringify({ event: 'welcome', data: { name: clean, online } }));
    } catch (error) {
      if (previous === undefined) this.members.delete(member);
      this.unavailable(member, error);
    }
  }

  async say(member: ChatMember, text: unknown): Promise<void> {
    const name = this.members.get(member);
    if (name === undefined) {
      this.error(member, 'join the room with a name first');
      return;
    }
    if (typeof text !== 'string' || text.length === 0 || text.length > 2000) {
      this.error(member, 'a message is 1 to 2000 characters of text');
      return;
    }
    const message = { event: 'message', data: { from: name, text, at: new Date().toISOString() } };
    await member.publish(CHAT_TOPIC, JSON.stringify(message)).catch((error: unknown) => {
      this.unavailable(member, error);
    });
  }

  /** The member's connection closed (its presence goes with it). */
  async leave(member: ChatMember): Promise<void> {
    const name = this.members.get(member);
    if (name === undefined) return;
    this.members.delete(member);
    try {
      const online = sorted(await this.online(member, name));
      await member.publish(CHAT_TOPIC, JSON.stringify({ event: 'left', data: { name, online } }));
    } catch {
      // Nobody to tell: the backplane is down, and the member is gone.
    }
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
    if (event === 'join') void this.join(member, data?.name);
    else if (event === 'message') void this.say(member, data?.text);
    else this.error(member, `unknown event ${JSON.stringify(event)}; use "join" or "message"`);
  }

  /** Names online on every instance, without one occurrence of `without` (a member leaving or renamed). */
  private async online(member: ChatMember, without: string | undefined): Promise<string[]> {
    const names = (await member.presence(CHAT_TOPIC))
      .map((entry) => entry.data)
      .filter((data): data is string => typeof data === 'string');
    const index = without === undefined ? -1 : names.indexOf(without);
    if (index >= 0) names.splice(index, 1);
    return names;
  }

  private unavailable(member: ChatMember, error: unknown): void {
    const code = (error as { code?: unknown }).code;
    this.error(
      member,
      `the chat is unavailable right now (${typeof code === 'string' ? code : 'an unexpected error'}); try again`,
    );
  }

  private error(member: ChatMember, message: string): void {
    member.send(JSON.stringify({ event: 'error', data: { message } }));
  }
}
