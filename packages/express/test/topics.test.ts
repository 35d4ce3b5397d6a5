import { MemoryBackplane } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { websocket } from '../src/index.js';
import { flavours, nextMessage, open, serve } from './helpers.js';

for (const flavour of flavours) {
  describe(`${flavour.name}: topics`, () => {
    it('reaches subscribers of every route, with its own frames, from the attachment publish', async () => {
      const app = flavour.express();
      const subscribe = websocket((connection) => {
        void connection.subscribe('news').then(({ offset }) => connection.send(`ready ${offset}`));
      });
      app.get('/plain', subscribe);
      // A route with options of its own gets its own server, on the attachment's backplane.
      app.get(
        '/framed',
        websocket(
          (connection) => {
            void connection.subscribe('news').then(() => connection.send('ready'));
          },
          {
            topicFrame: (message) => `#${message.offset} ${new TextDecoder().decode(message.data)}`,
          },
        ),
      );
      const served = await serve(app, { backplane: new MemoryBackplane() });
      const plain = await open(`${served.ws}/plain`);
      const framed = await open(`${served.ws}/framed`);
      expect(await nextMessage(plain)).toBe('ready 0');
      expect(await nextMessage(framed)).toBe('ready');
      const position = await served.sockets.publish('news', 'hello');
      expect(position.offset).toBe(1);
      expect(await nextMessage(plain)).toBe('hello');
      expect(await nextMessage(framed)).toBe('#1 hello');
      plain.close();
      framed.close();
    });
  });
}
