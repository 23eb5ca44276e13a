/** AMQP message section codes and Event Hubs annotation names shared by ingest and delivery. */

/** Message format of the SDK's batches: one data section per event, each holding a whole encoded message. */
export const BATCH_MESSAGE_FORMAT = 0x80013700;

export const HEADER = 0x70;
export const DELIVERY_ANNOTATIONS = 0x71;
export const MESSAGE_ANNOTATIONS = 0x72;
export const DATA = 0x75;
export const PARTITION_KEY = 'x-opt-partition-key';
