import { CHAT_TOPIC } from './backplane.js';
import {
  CHAT_NAME_RULE,
  chatNameKey,
  claimChatName,
  cleanChatName,
  releaseChatName,
} from './chat-name.js';

/**
 * A member of the room: a wsgate connection (what it needs of one). Everything a member hears
 * comes through the `chat` topic, so members on every instance of a cluster share one room.
 */
export interface ChatMember {
  send(text: string): unknown;
  subscribe(topic: string, options: { readonly presence: unknown }): Promise<unknown>;
  unsubscribe(topic: string): Promise<unknown>;
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
 * the same page talks to every demo: the client sends `join` {name}, `rename` {name} and
 * `message` {text}; the room sends `welcome`, `joined`, `renamed`, `left`, `message` and `error`
 * (the messages are listed in the package README).
 *
 * The room is the `chat` topic: notices and messages are published to it (formatted once, as
 * the text every member receives), and who is online is its presence, across every instance on
 * the same backplane. A name is held by one member of the whole room at a time (see
 * claimChatName). An instance takes at most `maxMembers`: every join and leave sends the whole
 * list of names to every member, so n joins cost about n³ bytes; a join beyond the limit gets
 * an error.
 *
 * What one member asks is handled in order, one request at a time (a message sent right after
 * a join is said under the new name; two renames cannot interleave).
 */
export class ChatRoom {
  private readonly members = new Map<ChatMember, string>();
  /** Members whose join is under way: they hold a seat already. */
  private readonly joining = new Set<ChatMember>();
  private readonly queues = new Map<ChatMember, Promise<void>>();

  constructor(readonly maxMembers = DEFAULT_MAX_CHAT_MEMBERS) {}

  /** Members on this instance. */
  get size(): number {
    return this.members.size;
  }

  /** Joins the room under `name`; from a member already in it, a rename. */
  join(member: ChatMember, name: unknown): Promise<void> {
    return this.inTurn(member, () => this.joinNow(member, name));
  }

  /** Changes the member's name, and tells everyone (the member included) with `renamed`. */
  rename(member: ChatMember, name: unknown): Promise<void> {
    return this.inTurn(member, async () => {
      const current = this.members.get(member);
      if (current === undefined) this.error(member, 'join the room with a name first');
      else await this.renameNow(member, current, name);
    });
  }

  say(member: ChatMember, text: unknown): Promise<void> {
    return this.inTurn(member, () => this.sayNow(member, text));
  }

  /** The member's connection closed (its presence and its name go with it). */
  leave(member: ChatMember): Promise<void> {
    return this.inTurn(member, () => this.leaveNow(member));
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
    else if (event === 'rename') void this.rename(member, data?.name);
    else if (event === 'message') void this.say(member, data?.text);
    else
      this.error(
        member,
        `unknown event ${JSON.stringify(event)}; use "join", "rename" or "message"`,
      );
  }

  private inTurn(member: ChatMember, task: () => Promise<void>): Promise<void> {
    const turn = (this.queues.get(member) ?? Promise.resolve()).then(task);
    this.queues.set(member, turn);
    void turn.finally(() => {
      if (this.queues.get(member) === turn) this.queues.delete(member);
    });
    return turn;
  }

  private async joinNow(member: ChatMember, raw: unknown): Promise<void> {
    const current = this.members.get(member);
    if (current !== undefined) return this.renameNow(member, current, raw);
    const name = cleanChatName(raw);
    if (name === undefined) return this.nameError(member, CHAT_NAME_RULE);
    if (this.members.size + this.joining.size >= this.maxMembers) {
      this.error(member, `the room is full (${this.maxMembers} members); try again later`);
      return;
    }
    this.joining.add(member);
    try {
      if (!(await claimChatName(member, name))) return this.taken(member, name);
      try {
        const online = sorted([...(await this.online(member, undefined)), name]);
        // Published before subscribing: the newcomer gets `welcome`, the others `joined`.
        await member.publish(
          CHAT_TOPIC,
          JSON.stringify({ event: 'joined', data: { name, online } }),
        );
        await member.subscribe(CHAT_TOPIC, { presence: name });
        this.members.set(member, name);
        member.send(JSON.stringify({ event: 'welcome', data: { name, online } }));
      } catch (error) {
        await releaseChatName(member, name).catch(() => {});
        throw error;
      }
    } catch (error) {
      this.unavailable(member, error);
    } finally {
      this.joining.delete(member);
    }
  }

  private async renameNow(member: ChatMember, current: string, raw: unknown): Promise<void> {
    const name = cleanChatName(raw);
    if (name === undefined) return this.nameError(member, CHAT_NAME_RULE);
    if (name === current) return this.nameError(member, `you are ${current} already`);
    // "ada" to "Ada" keeps the claim: it is the same name.
    const sameName = chatNameKey(name) === chatNameKey(current);
    try {
      if (!sameName && !(await claimChatName(member, name))) return this.taken(member, name);
      // Subscribing anew replaces the member's presence (its name in everyone's Online list);
      // the new subscription resumes after the last message the member got, so none is missed.
      await member.subscribe(CHAT_TOPIC, { presence: name });
      this.members.set(member, name);
      if (!sameName) await releaseChatName(member, current);
      const online = sorted(await this.online(member, undefined));
      await member.publish(
        CHAT_TOPIC,
        JSON.stringify({ event: 'renamed', data: { from: current, to: name, online } }),
      );
    } catch (error) {
      this.unavailable(member, error);
    }
  }

  private async sayNow(member: ChatMember, text: unknown): Promise<void> {
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

  private async leaveNow(member: ChatMember): Promise<void> {
    const name = this.members.get(member);
    if (name === undefined) return;
    this.members.delete(member);
    try {
      // The connection is closed; this only matters when a join finished after the close.
      await member.unsubscribe(CHAT_TOPIC);
      await releaseChatName(member, name);
      const online = sorted(await this.online(member, name));
      await member.publish(CHAT_TOPIC, JSON.stringify({ event: 'left', data: { name, online } }));
    } catch {
      // Nobody to tell: the backplane is down, and the member is gone.
    }
  }

  /** Names online on every instance, without one occurrence of `without` (a member leaving). */
  private async online(member: ChatMember, without: string | undefined): Promise<string[]> {
    const names = (await member.presence(CHAT_TOPIC))
      .map((entry) => entry.data)
      .filter((data): data is string => typeof data === 'string');
    const index = without === undefined ? -1 : names.indexOf(without);
    if (index >= 0) names.splice(index, 1);
    return names;
  }

  private taken(member: ChatMember, name: string): void {
    this.nameError(member, `the name ${name} is taken: someone in the room has it; choose another`);
  }

  private unavailable(member: ChatMember, error: unknown): void {
    const code = (error as { code?: unknown }).code;
    this.error(
      member,
      `the chat is unavailable right now (${typeof code === 'string' ? code : 'an unexpected error'}); try again`,
    );
  }

  /** A refused join or rename: the page shows it next to the name field. */
  private nameError(member: ChatMember, message: string): void {
    member.send(JSON.stringify({ event: 'error', data: { message, about: 'name' } }));
  }

  private error(member: ChatMember, message: string): void {
    member.send(JSON.stringify({ event: 'error', data: { message } }));
  }
}
