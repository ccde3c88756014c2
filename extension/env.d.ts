/// <reference types="chrome" />
/// <reference types="@crxjs/vite-plugin/client" />
