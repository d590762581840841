import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isInternalHost, localModelServer, providerOfHost } from '../../src/discover/index.js';

describe('AI hostname table', () => {
  it('maps API hosts, regional families and subdomain families to providers', () => {
    expect(providerOfHost('api.openai.com')).toBe('openai');
    expect(providerOfHost('API.OpenAI.com.')).toBe('openai');
    expect(providerOfHost('contoso.openai.azure.com')).toBe('azure-openai');
    expect(providerOfHost('bedrock-runtime.eu-west-1.amazonaws.com')).toBe('aws-bedrock');
    expect(providerOfHost('us-central1-aiplatform.googleapis.com')).toBe('google-vertex');
    expect(providerOfHost('api.cloudflare.com', '/client/v4/accounts/abc/ai/run/@cf/meta/llama')).toBe('cloudflare-workers-ai');
  });

  it('does not count the same companies\' other hosts, or look-alikes', () => {
    for (const h of ['www.openai.com', 'platform.openai.com', 'status.openai.com', 's3.amazonaws.com', 'ec2.us-east-1.amazonaws.com', 'storage.googleapis.com', 'maps.googleapis.com', 'docs.anthropic.com', 'management.azure.com', 'openai.azure.com.evil.net', 'api.openai.com.evil.net', 'api-openai.com', 'api.0penai.com', 'api.openai.co', 'xopenai.azure.com', 'notapi.anthropic.com']) {
      expect(providerOfHost(h), h).toBeUndefined();
    }
    expect(providerOfHost('api.cloudflare.com')).toBeUndefined();
    expect(providerOfHost('api.cloudflare.com', '/client/v4/zones')).toBeUndefined();
  });

  it('recognises self-hosted model servers only on internal hosts', () => {
    expect(localModelServer('localhost', '11434')).toBe('ollama');
    expect(localModelServer('10.1.2.3', '1234')).toBe('lm-studio');
    expect(localModelServer('vllm.ml.svc', '8000')).toBe('vllm');
    expect(localModelServer('172.20.0.4', '8000', '/v1/chat/completions')).toBe('local');
    expect(localModelServer('172.20.0.4', '8000', '/health')).toBeUndefined();
    expect(localModelServer('example.com', '11434')).toBeUndefined();
    expect(isInternalHost('192.168.1.10')).toBe(true);
    expect(isInternalHost('172.32.0.1')).toBe(false);
    expect(isInternalHost('fd00::1')).toBe(true);
  });

  it('never throws on arbitrary host strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.option(fc.string({ maxLength: 100 }), { nil: undefined }), (h, p) => {
        providerOfHost(h, p);
        localModelServer(h, '11434', p);
      }),
    );
  });
});
