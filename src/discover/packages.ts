/**
 * AI SDK and single-provider wrapper packages by ecosystem, mapped to the provider they call. Package names are
 * facts from each registry (npm, PyPI, Go modules, Maven); multi-provider frameworks (langchain core, litellm, the
 * `ai` package) are left out on purpose: importing them says nothing about which provider is called, and their
 * provider packages (`@langchain/openai`, `@ai-sdk/anthropic`, `langchain_openai`) are listed instead.
 * A provider of `local-model:<server>` marks a self-hosted model runtime: reported as `local-model`, not as an
 * external provider.
 */
export type PackageTable = Readonly<Record<string, string>>;

/** npm package names (a subpath import such as `openai/resources` counts as its package). */
export const NPM_PACKAGES: PackageTable = {
  openai: 'openai',
  '@openai/agents': 'openai',
  '@azure/openai': 'azure-openai',
  '@anthropic-ai/sdk': 'anthropic',
  '@anthropic-ai/bedrock-sdk': 'aws-bedrock',
  '@anthropic-ai/vertex-sdk': 'google-vertex',
  '@google/generative-ai': 'google-gemini',
  '@google/genai': 'google-gemini',
  '@google-cloud/vertexai': 'google-vertex',
  '@google-cloud/aiplatform': 'google-vertex',
  'cohere-ai': 'cohere',
  '@mistralai/mistralai': 'mistral',
  '@huggingface/inference': 'huggingface',
  '@huggingface/hub': 'huggingface',
  '@huggingface/transformers': 'huggingface',
  '@aws-sdk/client-bedrock-runtime': 'aws-bedrock',
  '@aws-sdk/client-bedrock': 'aws-bedrock',
  '@aws-sdk/client-bedrock-agent-runtime': 'aws-bedrock',
  'groq-sdk': 'groq',
  'together-ai': 'together',
  '@openrouter/ai-sdk-provider': 'openrouter',
  replicate: 'replicate',
  '@ai-sdk/openai': 'openai',
  '@ai-sdk/azure': 'azure-openai',
  '@ai-sdk/anthropic': 'anthropic',
  '@ai-sdk/google': 'google-gemini',
  '@ai-sdk/google-vertex': 'google-vertex',
  '@ai-sdk/mistral': 'mistral',
  '@ai-sdk/cohere': 'cohere',
  '@ai-sdk/amazon-bedrock': 'aws-bedrock',
  '@ai-sdk/groq': 'groq',
  '@ai-sdk/togetherai': 'together',
  '@ai-sdk/xai': 'xai',
  '@ai-sdk/deepseek': 'deepseek',
  '@ai-sdk/perplexity': 'perplexity',
  '@ai-sdk/fireworks': 'fireworks',
  '@ai-sdk/replicate': 'replicate',
  '@langchain/openai': 'openai',
  '@langchain/anthropic': 'anthropic',
  '@langchain/google-genai': 'google-gemini',
  '@langchain/google-vertexai': 'google-vertex',
  '@langchain/mistralai': 'mistral',
  '@langchain/cohere': 'cohere',
  '@langchain/aws': 'aws-bedrock',
  '@langchain/groq': 'groq',
  '@langchain/xai': 'xai',
  '@langchain/deepseek': 'deepseek',
  ollama: 'local-model:ollama',
  '@langchain/ollama': 'local-model:ollama',
  'ollama-ai-provider': 'local-model:ollama',
};

/** Python import roots (a dotted module counts by its longest listed prefix) and PyPI distribution names. */
export const PY_MODULES: PackageTable = {
  openai: 'openai',
  anthropic: 'anthropic',
  'google.generativeai': 'google-gemini',
  'google.genai': 'google-gemini',
  vertexai: 'google-vertex',
  'google.cloud.aiplatform': 'google-vertex',
  cohere: 'cohere',
  mistralai: 'mistral',
  huggingface_hub: 'huggingface',
  transformers: 'huggingface',
  diffusers: 'huggingface',
  sentence_transformers: 'huggingface',
  groq: 'groq',
  together: 'together',
  replicate: 'replicate',
  fireworks: 'fireworks',
  xai_sdk: 'xai',
  langchain_openai: 'openai',
  langchain_anthropic: 'anthropic',
  langchain_google_genai: 'google-gemini',
  langchain_google_vertexai: 'google-vertex',
  langchain_mistralai: 'mistral',
  langchain_cohere: 'cohere',
  langchain_aws: 'aws-bedrock',
  langchain_groq: 'groq',
  langchain_together: 'together',
  langchain_huggingface: 'huggingface',
  'llama_index.llms.openai': 'openai',
  'llama_index.llms.anthropic': 'anthropic',
  'llama_index.llms.bedrock': 'aws-bedrock',
  ollama: 'local-model:ollama',
  langchain_ollama: 'local-model:ollama',
  vllm: 'local-model:vllm',
  llama_cpp: 'local-model:llama.cpp',
};

/** PyPI distribution names for manifests and `pip install` (dashes; compared after PEP 503 normalisation). */
export const PYPI_PACKAGES: PackageTable = {
  openai: 'openai',
  anthropic: 'anthropic',
  'google-generativeai': 'google-gemini',
  'google-genai': 'google-gemini',
  'google-cloud-aiplatform': 'google-vertex',
  cohere: 'cohere',
  mistralai: 'mistral',
  'huggingface-hub': 'huggingface',
  transformers: 'huggingface',
  diffusers: 'huggingface',
  'sentence-transformers': 'huggingface',
  groq: 'groq',
  together: 'together',
  replicate: 'replicate',
  'fireworks-ai': 'fireworks',
  'xai-sdk': 'xai',
  'langchain-openai': 'openai',
  'langchain-anthropic': 'anthropic',
  'langchain-google-genai': 'google-gemini',
  'langchain-google-vertexai': 'google-vertex',
  'langchain-mistralai': 'mistral',
  'langchain-cohere': 'cohere',
  'langchain-aws': 'aws-bedrock',
  'langchain-groq': 'groq',
  'langchain-together': 'together',
  'langchain-huggingface': 'huggingface',
  'llama-index-llms-openai': 'openai',
  'llama-index-llms-anthropic': 'anthropic',
  ollama: 'local-model:ollama',
  'langchain-ollama': 'local-model:ollama',
  vllm: 'local-model:vllm',
  'llama-cpp-python': 'local-model:llama.cpp',
};

/** Go module paths (a package below a module counts as the module). */
export const GO_MODULES: PackageTable = {
  'github.com/openai/openai-go': 'openai',
  'github.com/sashabaranov/go-openai': 'openai',
  'github.com/anthropics/anthropic-sdk-go': 'anthropic',
  'github.com/liushuangls/go-anthropic': 'anthropic',
  'google.golang.org/genai': 'google-gemini',
  'github.com/google/generative-ai-go': 'google-gemini',
  'cloud.google.com/go/vertexai': 'google-vertex',
  'cloud.google.com/go/aiplatform': 'google-vertex',
  'github.com/cohere-ai/cohere-go': 'cohere',
  'github.com/gage-technologies/mistral-go': 'mistral',
  'github.com/aws/aws-sdk-go-v2/service/bedrockruntime': 'aws-bedrock',
  'github.com/aws/aws-sdk-go-v2/service/bedrock': 'aws-bedrock',
  'github.com/Azure/azure-sdk-for-go/sdk/ai/azopenai': 'azure-openai',
  'github.com/ollama/ollama/api': 'local-model:ollama',
};

/** Java/Kotlin package prefixes (imports) and Maven artifact ids (pom.xml, Gradle). */
export const JAVA_PACKAGES: PackageTable = {
  'com.openai': 'openai',
  'com.theokanning.openai': 'openai',
  'com.anthropic': 'anthropic',
  'com.google.genai': 'google-gemini',
  'com.google.cloud.vertexai': 'google-vertex',
  'com.google.cloud.aiplatform': 'google-vertex',
  'software.amazon.awssdk.services.bedrockruntime': 'aws-bedrock',
  'software.amazon.awssdk.services.bedrock': 'aws-bedrock',
  'com.azure.ai.openai': 'azure-openai',
  'com.cohere': 'cohere',
  'dev.langchain4j.model.openai': 'openai',
  'dev.langchain4j.model.anthropic': 'anthropic',
  'dev.langchain4j.model.vertexai': 'google-vertex',
  'dev.langchain4j.model.mistralai': 'mistral',
  'dev.langchain4j.model.ollama': 'local-model:ollama',
  'io.github.ollama4j': 'local-model:ollama',
};

export const MAVEN_ARTIFACTS: PackageTable = {
  'openai-java': 'openai',
  'anthropic-java': 'anthropic',
  'google-genai': 'google-gemini',
  'google-cloud-vertexai': 'google-vertex',
  'google-cloud-aiplatform': 'google-vertex',
  bedrockruntime: 'aws-bedrock',
  'azure-ai-openai': 'azure-openai',
  'cohere-java': 'cohere',
  'langchain4j-open-ai': 'openai',
  'langchain4j-anthropic': 'anthropic',
  'langchain4j-vertex-ai-gemini': 'google-vertex',
  'langchain4j-mistral-ai': 'mistral',
  'langchain4j-ollama': 'local-model:ollama',
  ollama4j: 'local-model:ollama',
};

/** Container images of self-hosted model servers (a registry prefix and tag are allowed). */
export const LOCAL_IMAGES: PackageTable = {
  'ollama/ollama': 'ollama',
  'vllm/vllm-openai': 'vllm',
  'huggingface/text-generation-inference': 'tgi',
  'ghcr.io/huggingface/text-generation-inference': 'tgi',
  'localai/localai': 'localai',
  'ghcr.io/ggerganov/llama.cpp': 'llama.cpp',
  'ghcr.io/ggml-org/llama.cpp': 'llama.cpp',
};

/** The table entry for `name` or its longest listed parent (`sep` separates levels: `/` for npm and Go, `.` for Python and Java). */
export function lookupPackage(table: PackageTable, name: string, sep: string): string | undefined {
  let n = name;
  while (true) {
    // Own keys only: a name such as `constructor` must not reach Object.prototype.
    if (Object.hasOwn(table, n)) return table[n];
    const i = n.lastIndexOf(sep);
    if (i <= 0) return undefined;
    n = n.slice(0, i);
  }
}
