import type { CloudFormationResource, Json, ServiceConfig } from './service-config.ts';

/**
 * The local cloud's view of the stack: every resource serverless.yml declares, with the
 * values `Ref` and `Fn::GetAtt` would have, so environment variables, event sources and
 * destinations written as CloudFormation intrinsics resolve to the local stand-ins.
 */
export interface LocalAccount {
  region: string;
  accountId: string;
  stackName: string;
}

export interface ResourceValues {
  ref: string;
  attributes: Record<string, string>;
}

export class StackResources {
  readonly resources: Record<string, CloudFormationResource>;
  private readonly values = new Map<string, ResourceValues>();

  constructor(
    readonly config: ServiceConfig,
    readonly account: LocalAccount,
  ) {
    this.resources = collectResources(config);
    for (const [logicalId, resource] of Object.entries(this.resources)) {
      this.values.set(logicalId, defaultValues(logicalId, resource, account));
    }
    for (const [key, fn] of Object.entries(config.functions)) {
      const arn = `arn:aws:lambda:${account.region}:${account.accountId}:function:${fn.name}`;
      const values = { ref: fn.name, attributes: { Arn: arn } };
      this.values.set(functionLogicalId(key), values);
      // serverless-step-functions also accepts the function's key in Fn::GetAtt.
      if (!this.values.has(key)) this.values.set(key, values);
    }
  }

  /** Records a value known only once the stand-in exists (e.g. a table's stream ARN). */
  setAttribute(logicalId: string, attribute: string, value: string): void {
    const values = this.values.get(logicalId);
    if (!values) throw new Error(`Unknown resource ${logicalId}`);
    values.attributes[attribute] = value;
  }

  resourcesOfType(type: string): [string, CloudFormationResource][] {
    return Object.entries(this.resources).filter(([, resource]) => resource.Type === type);
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub and Fn::Select to plain values. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key] as Json;
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument)
            ? (argument.map(String) as [string, string])
            : (String(argument).split(/\.(.*)/s) as [string, string]);
          return this.getAtt(logicalId, attribute);
        }
        case 'Fn::Join': {
          const [delimiter, parts] = argument as [string, Json[]];
          return (this.resolve(parts) as Json[]).map(String).join(delimiter);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [number, Json];
          return (this.resolve(list) as Json[])[Number(index)] ?? null;
        }
        case 'Fn::Sub':
          return this.substitute(argument);
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  resolveString(value: Json, what: string): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
      throw new Error(`${what} does not resolve to a plain value: ${JSON.stringify(value)}`);
    }
    return String(resolved);
  }

  ref(logicalId: string): string {
    const pseudo = this.pseudoParameter(logicalId);
    if (pseudo !== undefined) return pseudo;
    const values = this.values.get(logicalId);
    if (!values) throw new Error(`Ref to unknown resource "${logicalId}"`);
    return values.ref;
  }

  getAtt(logicalId: string, attribute: string): string {
    const value = this.values.get(logicalId)?.attributes[attribute];
    if (value === undefined) throw new Error(`Fn::GetAtt ${logicalId}.${attribute} has no local value`);
    return value;
  }

  /** The resource whose Ref or an attribute equals this ARN/name, e.g. a queue from its ARN. */
  findByValue(value: string): string | undefined {
    for (const [logicalId, values] of this.values) {
      if (values.ref === value || Object.values(values.attributes).includes(value)) return logicalId;
    }
    return undefined;
  }

  private pseudoParameter(name: string): string | undefined {
    const { region, accountId, stackName } = this.account;
    return {
      'AWS::Region': region,
      'AWS::AccountId': accountId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
    }[name];
  }

  private substitute(argument: Json): string {
    const [template, variables] = Array.isArray(argument)
      ? (argument as [string, Record<string, Json>])
      : [String(argument), {} as Record<string, Json>];
    return template.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      if (name in variables) return this.resolveString(variables[name] as Json, name);
      const [logicalId, attribute] = name.split(/\.(.*)/s) as [string, string | undefined];
      return attribute ? this.getAtt(logicalId, attribute) : this.ref(logicalId);
    });
  }
}

/** Logical id that Serverless gives a function's AWS::Lambda::Function resource. */
export function functionLogicalId(functionKey: string): string {
  const normalized = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/** Logical id that Serverless gives a bucket declared in `provider.s3` (see its naming). */
export function bucketLogicalId(bucketRef: string): string {
  const alphanumeric = bucketRef.replace(/[^0-9A-Za-z]/g, '');
  return `S3Bucket${alphanumeric.charAt(0).toUpperCase()}${alphanumeric.slice(1)}`;
}

function collectResources(config: ServiceConfig): Record<string, CloudFormationResource> {
  const resources: Record<string, CloudFormationResource> = {};
  for (const [bucketRef, bucket] of Object.entries(config.provider.s3 ?? {})) {
    resources[bucketLogicalId(bucketRef)] = {
      Type: 'AWS::S3::Bucket',
      Properties: { BucketName: bucket.name ?? bucketRef },
    };
  }
  for (const [logicalId, resource] of Object.entries(config.resources?.Resources ?? {})) {
    resources[logicalId] = resource;
  }
  // `resources.extensions` adds properties to resources the framework generates.
  for (const [logicalId, extension] of Object.entries(config.resources?.extensions ?? {})) {
    const resource = resources[logicalId];
    if (resource && extension.Properties) {
      resource.Properties = { ...(resource.Properties ?? {}), ...extension.Properties };
    }
  }
  return resources;
}

function defaultValues(
  logicalId: string,
  resource: CloudFormationResource,
  account: LocalAccount,
): ResourceValues {
  const { region, accountId } = account;
  const property = (name: string): string => {
    const value = resource.Properties?.[name];
    return typeof value === 'string' ? value : `${account.stackName}-${logicalId}`.toLowerCase();
  };
  switch (resource.Type) {
    case 'AWS::S3::Bucket': {
      const name = property('BucketName');
      return {
        ref: name,
        attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` },
      };
    }
    case 'AWS::DynamoDB::Table': {
      const name = property('TableName');
      return { ref: name, attributes: { Arn: `arn:aws:dynamodb:${region}:${accountId}:table/${name}` } };
    }
    case 'AWS::SNS::Topic': {
      const name = property('TopicName');
      const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
      return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
    }
    case 'AWS::SQS::Queue': {
      // Locally a queue is a file (failure-queues.ts); its Ref is still the URL AWS would give.
      const name = property('QueueName');
      return {
        ref: `https://sqs.${region}.amazonaws.com/${accountId}/${name}`,
        attributes: { Arn: `arn:aws:sqs:${region}:${accountId}:${name}`, QueueName: name },
      };
    }
    default:
      return { ref: logicalId, attributes: {} };
  }
}
