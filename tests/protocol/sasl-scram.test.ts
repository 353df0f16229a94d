// Proves the SCRAM-SHA-256 messages against RFC 7677's worked example (client
// proof and server signature byte for byte), that the server side accepts
// exactly the right proof, and that malformed messages are typed errors.

import { describe, expect, it } from 'vitest';
import {
  clientFinalMessage,
  decodeSaslName,
  encodeSaslName,
  parseClientFirst,
  scramKeys,
  verifyClientFinal,
} from '../../src/protocol/sasl-scram.ts';

// RFC 7677 section 3.
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const CLIENT_FIRST = `n,,n=user,r=${CLIENT_NONCE}`;
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';
const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');

describe('SCRAM-SHA-256', () => {
  it('computes the RFC 7677 client-final message and server signature', () => {
    const out = clientFinalMessage({ password: 'pencil', clientFirstBare: CLIENT_FIRST.slice(3), serverFirst: SERVER_FIRST, clientNonce: CLIENT_NONCE });
    expect(out.message).toBe(CLIENT_FINAL);
    expect(out.serverSignature).toBe(SERVER_FINAL);
  });

  it('verifies the RFC 7677 proof on the server side and refuses a wrong one', () => {
    const { storedKey, serverKey } = scramKeys('pencil', salt, 4096);
    const credential = { salt, iterations: 4096, storedKey, serverKey };
    const first = parseClientFirst(CLIENT_FIRST);
    expect(first).toMatchObject({ user: 'user', nonce: CLIENT_NONCE, gs2Header: 'n,,' });
    const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    expect(verifyClientFinal({ first, serverFirst: SERVER_FIRST, nonce, clientFinal: CLIENT_FINAL, credential })).toBe(SERVER_FINAL);
    const wrong = CLIENT_FINAL.replace('p=dHzb', 'p=dHza');
    expect(() => verifyClientFinal({ first, serverFirst: SERVER_FIRST, nonce, clientFinal: wrong, credential })).toThrow(
      expect.objectContaining({ errorName: 'SASL_AUTHENTICATION_FAILED' }),
    );
    const otherNonce = CLIENT_FINAL.replace('k0,p=', 'k1,p=');
    expect(() => verifyClientFinal({ first, serverFirst: SERVER_FIRST, nonce, clientFinal: otherNonce, credential })).toThrow(/nonce/);
  });

  it('refuses malformed messages with SASL_AUTHENTICATION_FAILED', () => {
    for (const bad of ['', 'p=tls-unique,,n=u,r=x', 'n,,n=u', 'n,,r=x', 'n,,n=a=2Xb,r=x', 'n,,garbage']) {
      expect(() => parseClientFirst(bad), bad).toThrow(expect.objectContaining({ errorName: 'SASL_AUTHENTICATION_FAILED' }));
    }
  });

  it('escapes "=" and "," in user names both ways', () => {
    expect(encodeSaslName('a=b,c')).toBe('a=3Db=2Cc');
    expect(decodeSaslName('a=3Db=2Cc')).toBe('a=b,c');
  });
});
