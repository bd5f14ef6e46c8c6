// Imported first by main.tsx, before any schema is built: zod would otherwise probe `new Function` while constructing
// object schemas, which the CSP (no 'unsafe-eval') reports as a violation.
import { z } from 'zod';

z.config({ jitless: true });
