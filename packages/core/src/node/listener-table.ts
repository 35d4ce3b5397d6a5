/**
 * A connection's table of listeners. EventEmitter keeps them in an object without a prototype,
 * which V8 stores as a hash table (about 160 bytes once a listener is added); objects from this
 * constructor keep V8's compact layout (about 40 bytes for two events, the layout shared by
 * every connection), and still have no Object.prototype behind them, so that an event named
 * "toString" has no listeners. Memory per idle connection.
 */
export const ListenerTable = function ListenerTable() {} as unknown as new () => object;
ListenerTable.prototype = Object.create(null);
