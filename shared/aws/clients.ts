import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients, created lazily and once per container (module scope), shared by every
 * handler in the bundle.
 *
 * This is the one place that knows about the local cloud. Endpoints themselves need no
 * code: SDK v3 reads `AWS_ENDPOINT_URL_<SERVICE>` from the environment
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). The local
 * S3 (s3rver) additionally needs path-style addressing, and checksums only when required:
 * with the SDK's default, a streamed PutObject is stored with its aws-chunked framing.
 */
const isLocalCloud = (): boolean => process.env.STOCKROOM_LOCAL_CLOUD === '1';

let s3: S3Client | undefined;
let dynamoDb: DynamoDBClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;
let sns: SNSClient | undefined;
let sfn: SFNClient | undefined;
let ses: SESv2Client | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client(
    isLocalCloud()
      ? {
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {},
  );
  return s3;
}

export function dynamoDbClient(): DynamoDBClient {
  // Retries are ours to manage for batch writes (see the import writer); the SDK's
  // standard mode still retries throttling on single calls.
  dynamoDb ??= new DynamoDBClient({});
  return dynamoDb;
}

export function dynamoDbDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(dynamoDbClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function snsClient(): SNSClient {
  sns ??= new SNSClient({});
  return sns;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}

export function sesClient(): SESv2Client {
  ses ??= new SESv2Client({});
  return ses;
}
