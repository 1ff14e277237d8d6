// Types for the parts of s3rver 3.7 that the local cloud uses (the package ships none).
declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { AddressInfo } from 'node:net';
  import type FilesystemStore from 's3rver/lib/stores/filesystem.js';

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
  }

  export default class S3rver extends EventEmitter {
    constructor(options: S3rverOptions);
    readonly store: FilesystemStore;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

/** An S3 error answer: s3rver sends its code, message and details as S3's XML error body. */
declare module 's3rver/lib/models/error.js' {
  export default class S3Error extends Error {
    constructor(code: string, message: string, detail?: Record<string, string | number>);
    readonly code: string;
    readonly status: number;
  }
}

declare module 's3rver/lib/models/object.js' {
  import type { Readable } from 'node:stream';

  export type Metadata = Record<string, string | number>;

  /** An object as the store takes and gives it; the constructor keeps only stored headers. */
  export default class S3Object {
    /** The headers S3 stores with an object (besides `x-amz-meta-*`). */
    static readonly ALLOWED_METADATA: string[];
    constructor(bucket: string, key: string, content: Readable | Buffer | null, metadata: Metadata);
    bucket: string;
    key: string;
    content: Readable | Buffer | null;
    metadata: Metadata;
    range?: { start: number; end: number };
    readonly size: number;
  }
}

/** s3rver's store: objects as files under `rootDirectory/<bucket>/` (the methods the local cloud replaces or calls). */
declare module 's3rver/lib/stores/filesystem.js' {
  import type S3Object from 's3rver/lib/models/object.js';
  import type { Metadata } from 's3rver/lib/models/object.js';

  export default interface FilesystemStore {
    rootDirectory: string;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getMetadata(bucket: string, key: string): Promise<Metadata>;
    getObject(
      bucket: string,
      key: string,
      range?: { start?: number; end?: number },
    ): Promise<S3Object | null>;
    putObject(object: S3Object): Promise<{ size: number; md5: string }>;
    copyObject(
      ...args: [
        sourceBucket: string,
        sourceKey: string,
        bucket: string,
        key: string,
        replacement: Metadata | null,
      ]
    ): Promise<Metadata>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    initiateUpload(bucket: string, key: string, uploadId: string, metadata: Metadata): Promise<void>;
  }
}

/** How s3rver builds an event notification (its `event` is one of these). */
declare module 's3rver/lib/models/event.js' {
  import type { S3Event as Notification } from 'aws-lambda';

  export default class S3Event {
    constructor(
      eventData: {
        eventType: 'Put' | 'Post' | 'Copy' | 'Delete';
        bucket: string;
        S3Item: { key: string; size?: number; metadata?: Record<string, string> };
      },
      reqParams: { reqHeaders: { host: string }; sourceIp: string },
    );
    readonly Records: Notification['Records'];
  }
}
