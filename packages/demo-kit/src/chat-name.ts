import { createHash } from 'node:crypto';
import type { ChatMember } from './chat-room.js';

/** What a chat name may be, as the room says it to someone whose name does not fit. */
export const CHAT_NAME_RULE =
  'a name is 1 to 32 letters, digits, spaces, dots, dashes or underscores';

/** The name as the room shows it (surrounding spaces dropped), or undefined when it does not fit the rule. */
export function cleanChatName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const clean = name.trim();
  return /^[\p{L}\p{N} _.-]{1,32}$/u.test(clean) ? clean : undefined;
}

/**
 * What makes two names the same name: "Ada", "ada" and "ADA" (or "Ada  L" and "Ada L") would be
 * told apart by nobody reading the Online list.
 */
export function chatNameKey(name: string): string {
  return name.normalize('NFC').toLowerCase().replace(/\s+/g, ' ');
}

/** The topic whose presence says who holds a name, on every instance of the cluster. */
export function chatNameTopic(name: string): string {
  const key = chatNameKey(name);
  // Normalizing and lower-casing can lengthen a few letters; a topic name is at most 128.
  if (key.length <= 100) return `chat-name:${key}`;
  return `chat-name:#${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Claims a name for the member, across every instance on the backplane: the member joins the
 * presence of the name's own topic, then reads it; anyone else there holds (or is claiming) the
 * name, and the member lets go. Joining before reading means two members claiming one name at
 * once cannot both miss each other: at worst both are refused and try again, never both
 * welcomed. Nothing is ever published to these topics; the member's connection closing
 * releases its claim with the rest of its subscriptions.
 */
export async function claimChatName(member: ChatMember, name: string): Promise<boolean> {
  const topic = chatNameTopic(name);
  await member.subscribe(topic, { presence: name });
  const holders = await member.presence(topic);
  if (holders.length === 1) return true;
  await member.unsubscribe(topic);
  return false;
}

/** Lets go of a name claimed with claimChatName. */
export function releaseChatName(member: ChatMember, name: string): Promise<unknown> {
  return member.unsubscribe(chatNameTopic(name));
}
