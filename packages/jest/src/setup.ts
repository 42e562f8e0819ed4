/**
 * `setupFilesAfterEnv: ['@bpfsim/jest/setup']`: registers every matcher with
 * jest's expect (and brings their types along).
 */
import { expect } from '@jest/globals';
import { matchers } from './matchers';
import './matchers/types';

expect.extend(matchers);
