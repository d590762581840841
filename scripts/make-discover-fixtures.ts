/**
 * Writes test/fixtures/discover/: a small repository with AI uses and decoys, an `expected.json` listing every
 * finding that must be reported (file, line, kind, provider), and egress logs with their expected flows.
 * Deterministic: keys are made from a seeded hash, so re-running gives the same bytes. They are fake: they have the
 * providers' formats and no account behind them.
 *
 *   npx tsx scripts/make-discover-fixtures.ts
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeEgressFixtures } from './discover-egress-fixtures.js';

const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'discover');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` pseudo-random characters from `alphabet`, fixed by `seed`. */
function fake(seed: string, n: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; s.length < n; i++) for (const b of createHash('sha256').update(`${seed}:${i}`).digest()) if (s.length < n) s += alphabet[b % alphabet.length];
  return s;
}

type Expect = [kind: 'sdk' | 'endpoint' | 'key' | 'local-model', provider: string];
/** A line of a fixture file and what discovery must report on it (nothing for decoys). */
type Line = string | [string, ...Expect[]];

const OPENAI_KEY = `sk-proj-${fake('openai-a', 58)}T3BlbkFJ${fake('openai-b', 58)}`;
const ANTHROPIC_KEY = `sk-ant-api03-${fake('anthropic', 93)}AA`;
const HF_TOKEN = `hf_${fake('hf', 34)}`;
const GROQ_KEY = `gsk_${fake('groq', 52)}`;
const OPENROUTER_KEY = `sk-or-v1-${fake('openrouter', 64, '0123456789abcdef')}`;
const MISTRAL_KEY = fake('mistral', 32);
const DEEPSEEK_KEY = `sk-${fake('deepseek', 32, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;

const FILES: Record<string, Line[]> = {
  'app/chat.py': [
    ['import openai', ['sdk', 'openai']],
    ['from anthropic import Anthropic', ['sdk', 'anthropic']],
    ['from openai import AzureOpenAI', ['sdk', 'azure-openai']],
    ['import google.generativeai as genai', ['sdk', 'google-gemini']],
    ['from transformers import pipeline', ['sdk', 'huggingface']],
    ['from huggingface_hub import hf_hub_download', ['sdk', 'huggingface']],
    ['import mistralai, cohere', ['sdk', 'mistral'], ['sdk', 'cohere']],
    'import os, json, requests',
    '# We moved off cohere last year; replicate the results with the local model instead.',
    '"""A mistral wind blows together the groq of the gemini twins."""',
    ['bedrock = boto3.client("bedrock-runtime", region_name="us-east-1")', ['sdk', 'aws-bedrock']],
    's3 = boto3.client("s3")',
    'PROVIDER = "openai"',
    ['URL = "https://api." + PROVIDER + ".com/v1/chat/completions"', ['endpoint', 'openai']],
    ['HOST = ".".join(["api", "anthropic", "com"])', ['endpoint', 'anthropic']],
    ['OLLAMA = "http://localhost:11434/api/generate"', ['local-model', 'ollama']],
    ['VLLM = "http://127.0.0.1:8000/v1/chat/completions"', ['local-model', 'local']],
    'PLACEHOLDER = "sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"',
    'EXAMPLE = "sk-proj-your-api-key-here"',
    [`OPENAI_API_KEY = "${OPENAI_KEY}"`, ['key', 'openai']],
    'BUCKET = "https://storage.googleapis.com/my-bucket/data.csv"',
    'MAPS = "https://maps.googleapis.com/maps/api/geocode/json"',
    'DOCS = "https://platform.openai.com/docs/overview"',
    'EVIL = "https://api.openai.com.evil.example/v1"',
    'LOOKALIKE = "https://api-openai.com/v1/chat/completions"',
    'client = together_client  # a local name that happens to say together',
    ['from google import genai', ['sdk', 'google-gemini']],
    ['from google.cloud import aiplatform', ['sdk', 'google-vertex']],
    'from google.cloud import storage, bigquery',
    'from .openai import helpers',
  ],
  'app/notebook.ipynb': [
    '{"cells": [{"cell_type": "code", "source": [',
    ['  "import anthropic\\n",', ['sdk', 'anthropic']],
    ['  "from vertexai.generative_models import GenerativeModel\\n"', ['sdk', 'google-vertex']],
    ']}]}',
  ],
  'web/src/client.ts': [
    ["import OpenAI from 'openai';", ['sdk', 'openai']],
    ["import Anthropic from '@anthropic-ai/sdk';", ['sdk', 'anthropic']],
    ["import { createGroq } from '@ai-sdk/groq';", ['sdk', 'groq']],
    ["import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';", ['sdk', 'aws-bedrock']],
    ["import { openaiHelper } from './openai';", ],
    "import { S3Client } from '@aws-sdk/client-s3';",
    "import { together } from './util/together';",
    '// import { Mistral } from "@mistralai/mistralai"; removed in v2',
    ["const { HfInference } = require('@huggingface/inference');", ['sdk', 'huggingface']],
    ["const ollama = await import('ollama');", ['local-model', 'ollama']],
    ["const base = `https://${'generativelanguage'}.googleapis.com/v1beta`;", ['endpoint', 'google-gemini']],
    ["const routerUrl = 'https://openrouter.ai/api/v1/chat/completions';", ['endpoint', 'openrouter']],
    ["const azure = 'https://contoso-ai.openai.azure.com/openai/deployments/gpt';", ['endpoint', 'azure-openai']],
    "const status = 'https://status.openai.com/api/v2/status.json';",
    "const blob = 'https://contoso.blob.core.windows.net/models';",
    '<input placeholder="https://your-endpoint.openai.azure.com" />;',
    "const hint = `https://{resource}.openai.azure.com/openai/deployments/{deployment}`;",
    [`const groqKey = '${GROQ_KEY}';`, ['key', 'groq']],
    "const message = 'Replicate the bug, then groq it together with the gemini release notes.';",
  ],
  'services/gen.go': [
    'package services',
    'import (',
    ['\topenai "github.com/sashabaranov/go-openai"', ['sdk', 'openai']],
    ['\t"github.com/anthropics/anthropic-sdk-go"', ['sdk', 'anthropic']],
    '\t"github.com/aws/aws-sdk-go-v2/service/s3"',
    '\t"net/http"',
    ')',
    ['const deepseekURL = "https://api.deepseek.com/chat/completions"', ['endpoint', 'deepseek']],
    'const site = "https://www.deepseek-fans.example.org/"',
  ],
  'services/go.mod': ['module example.com/services', 'go 1.22', ['require github.com/openai/openai-go v1.8.2', ['sdk', 'openai']], 'require github.com/stretchr/testify v1.9.0'],
  'jvm/src/Main.java': [
    ['import com.anthropic.client.AnthropicClient;', ['sdk', 'anthropic']],
    ['import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;', ['sdk', 'aws-bedrock']],
    'import software.amazon.awssdk.services.s3.S3Client;',
    'import java.util.concurrent.CompletableFuture;',
  ],
  'jvm/pom.xml': ['<dependencies>', '  <dependency>', '    <groupId>com.openai</groupId>', ['    <artifactId>openai-java</artifactId>', ['sdk', 'openai']], '  </dependency>', '  <dependency><artifactId>jackson-databind</artifactId></dependency>', '</dependencies>'],
  'jvm/build.gradle.kts': [['implementation("dev.langchain4j:langchain4j-anthropic:1.0.0")', ['sdk', 'anthropic']], 'implementation("com.google.guava:guava:33.0-jre")'],
  'scripts/setup.sh': [
    '#!/bin/sh',
    '# pip install openai  (commented out: not a use)',
    ['pip install --upgrade mistralai requests', ['sdk', 'mistral']],
    ['ollama pull llama3', ['local-model', 'ollama']],
    ['curl -s https://api.x.ai/v1/chat/completions -H "Authorization: Bearer $XAI_API_KEY"', ['endpoint', 'xai']],
    'curl -s https://docs.anthropic.com/en/home',
    'echo "deploy together with the replicate job"',
  ],
  'deploy/compose.yaml': [
    'services:',
    '  llm:',
    ['    image: ollama/ollama:0.3.12', ['local-model', 'ollama']],
    '  web:',
    '    image: nginx:1.27',
    '    environment:',
    ['      OPENAI_BASE_URL: https://api.groq.com/openai/v1', ['endpoint', 'groq']],
    '      SENTRY_DSN: https://sentry.io/123',
  ],
  'deploy/Dockerfile': [
    ['FROM vllm/vllm-openai:v0.6.3', ['local-model', 'vllm']],
    ['RUN pip install anthropic==0.39.0', ['sdk', 'anthropic']],
    ['ENV HF_ENDPOINT=https://huggingface.co', ['endpoint', 'huggingface']],
  ],
  '.env': [
    ['OPENAI_BASE_URL=https://api.together.xyz/v1', ['endpoint', 'together']],
    ['OLLAMA_HOST=127.0.0.1:11434', ['local-model', 'ollama']],
    [`ANTHROPIC_API_KEY=${ANTHROPIC_KEY}`, ['key', 'anthropic']],
    [`MISTRAL_API_KEY=${MISTRAL_KEY}`, ['key', 'mistral']],
    [`DEEPSEEK_API_KEY=${DEEPSEEK_KEY}`, ['key', 'deepseek']],
    'DATABASE_URL=postgres://app@db.internal:5432/app',
    'OPENAI_API_KEY=sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
  ],
  'config/settings.json': [
    '{',
    [`  "hf_token": "${HF_TOKEN}",`, ['key', 'huggingface']],
    ['  "llm_url": "https://api.mistral.ai/v1/chat/completions",', ['endpoint', 'mistral']],
    '  "cdn": "https://cdn.openai.com/logo.svg"',
    '}',
  ],
  'package.json': [
    '{',
    '  "name": "together",',
    '  "description": "replicate the openai demo",',
    '  "dependencies": {',
    ['    "openai": "^4.70.0",', ['sdk', 'openai']],
    ['    "@google/genai": "^0.3.0",', ['sdk', 'google-gemini']],
    ['    "cohere-ai": "^7.14.0",', ['sdk', 'cohere']],
    '    "express": "^4.21.0"',
    '  },',
    '  "scripts": { "openai": "node scripts/openai.js" }',
    '}',
  ],
  'requirements.txt': [['openai==1.54.0', ['sdk', 'openai']], 'requests>=2.31', ['transformers[torch]>=4.40', ['sdk', 'huggingface']], '# anthropic  (planned, not installed)', 'together-tools==0.1'],
  'pyproject.toml': [
    '[project]',
    'name = "replicate"',
    'dependencies = [',
    ['  "groq>=0.11",', ['sdk', 'groq']],
    '  "numpy>=2",',
    ']',
    '[tool.poetry.dependencies]',
    ['replicate = "^1.0"', ['sdk', 'replicate']],
    '[tool.ruff]',
    'openai = "not a dependency here"',
  ],
  'docs/README.md': [
    '# Our AI stack',
    'We call api.openai.com and api.anthropic.com through the gateway; see https://generativelanguage.googleapis.com.',
    'Use `import openai` and set OPENAI_API_KEY=sk-XXXXXXXXXXXXXXXXXXXXXXXX.',
    [`Leaked in docs: ${OPENROUTER_KEY}`, ['key', 'openrouter']],
  ],
  '.gitignore': ['ignored/', '*.log'],
  'ignored/secret.py': ['import openai', `KEY = "${OPENAI_KEY}"`],
  'debug.log': ['import anthropic'],
};

function main(): void {
  rmSync(join(out, 'repo'), { recursive: true, force: true });
  const expected: { file: string; line: number; kind: string; provider: string }[] = [];
  for (const [file, lines] of Object.entries(FILES)) {
    const path = join(out, 'repo', file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : l[0])).join('\n') + '\n');
    lines.forEach((l, i) => {
      if (typeof l !== 'string') for (const [kind, provider] of l.slice(1) as Expect[]) expected.push({ file, line: i + 1, kind, provider });
    });
  }
  // A binary file: skipped with a note, never read for findings. (The oversized-file case is made by its test.)
  writeFileSync(join(out, 'repo', 'app', 'logo.py'), Buffer.concat([Buffer.from('import openai\n'), Buffer.alloc(16), Buffer.from(OPENAI_KEY)]));
  expected.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.kind < b.kind ? -1 : 1)));
  writeFileSync(join(out, 'expected-code.json'), JSON.stringify({ findings: expected }, null, 2) + '\n');
  writeEgressFixtures(out);
}

main();
