'use strict';

/**
 * Serverless plugin: copies `custom.cloudFormationRules` into the template's `Rules`
 * section, which the framework's configuration schema does not accept under `resources`.
 * CloudFormation checks these rules against the parameters before it creates or changes
 * anything: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
 */
class TemplateRules {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.addRules() };
  }

  addRules() {
    // A web ACL of CloudFront scope is made in us-east-1 only; say so at packaging rather
    // than have CloudFormation fail half-way through a deploy.
    // https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
    const service = this.serverless.service;
    const waf = service.resources?.Parameters?.Waf?.Default;
    const region = service.provider.region;
    if (String(waf) === 'true' && region !== 'us-east-1') {
      throw new this.serverless.classes.Error(
        `waf=true makes the web ACL in the stack, which CloudFront allows only in us-east-1, and this stack is for ${region}: deploy it to us-east-1, or make the web ACL in us-east-1 and pass its ARN as webAclArn.`,
      );
    }
    const rules = this.serverless.service.custom?.cloudFormationRules;
    if (!rules) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    template.Rules = { ...(template.Rules ?? {}), ...rules };
  }
}

module.exports = TemplateRules;
