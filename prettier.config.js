// Prettier: 140 columns, the width the code is written to, so two files still fit side by side on a
// wide screen; single quotes and trailing commas as the code already has them. Markdown is left out
// (.prettierignore).
/** @type {import('prettier').Config} */
export default {
  printWidth: 140,
  singleQuote: true,
  trailingComma: 'all',
};
