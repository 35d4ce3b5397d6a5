import { describe, expect, it } from 'vitest';
import { CHAT_CONNECTION_LIMITS, ChatRoom, DEFAULT_MAX_CHAT_MEMBERS } from '../src/chat-room.js';

class Member {
  readonly received: { event: string; data: Record<string, unknown> }[] = [];
  send(text: string): void {
    this.received.push(JSON.parse(text));
  }
}

function join(room: ChatRoom, name: string): Member {
  const member = new Member();
  room.join(member, name);
  return member;
}

describe('the chat room', () => {
  it('takes 100 members by default, and bounds what a /chat connection may make the server hold', () => {
    expect(new ChatRoom().maxMembers).toBe(DEFAULT_MAX_CHAT_MEMBERS);
    expect(DEFAULT_MAX_CHAT_MEMBERS).toBe(100);
    expect(CHAT_CONNECTION_LIMITS).toEqual({
      maxMessageBytes: 64 * 1024,
      maxBufferedBytes: 1024 * 1024,
    });
  });

  it('refuses a join past maxMembers with an error, and tells the room nothing', () => {
    const room = new ChatRoom(3);
    const members = ['Ada', 'Bob', 'Cy'].map((name) => join(room, name));
    const late = join(room, 'Dee');
    expect(late.received).toEqual([
      { event: 'error', data: { message: 'the room is full (3 members); try again later' } },
    ]);
    expect(room.size).toBe(3);
    expect(room.online()).toEqual(['Ada', 'Bob', 'Cy']);
    expect(members.flatMap((m) => m.received).some((e) => e.data.name === 'Dee')).toBe(false);
  });

  it('lets a member of a full room change its name, and a newcomer in once someone left', () => {
    const room = new ChatRoom(2);
    const ada = join(room, 'Ada');
    const bob = join(room, 'Bob');
    room.join(ada, 'Ada L');
    expect(ada.received.at(-1)).toMatchObject({ event: 'welcome', data: { name: 'Ada L' } });
    room.leave(bob);
    const cy = join(room, 'Cy');
    expect(cy.received[0]).toMatchObject({ event: 'welcome', data: { online: ['Ada L', 'Cy'] } });
  });
});
