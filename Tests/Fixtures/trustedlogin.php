<?php
// The TrustedLogin client SDK's and Connector's cryptography, as their PHP does it (libsodium),
// for the tests. Reads a JSON object on stdin, writes a JSON object on stdout.
//
//   php trustedlogin.php vendor-keys
//   php trustedlogin.php envelope      {"vendorBoxPublicKey": hex, "siteUrl": "...", ...}
//   php trustedlogin.php sign-nonce    {"signSecretKey": hex}
//   php trustedlogin.php open-envelope {"envelope": {...}, "vendorBoxSecretKey": hex, "envelopeSigningKey": hex}
//   php trustedlogin.php canonical     {"envelope": {...}}
//   php trustedlogin.php sign          {"message": "...", "seed": hex}
//   php trustedlogin.php verify        {"message": "...", "signature": hex, "publicKey": hex}

$command = $argv[1] ?? '';
$input = json_decode(stream_get_contents(STDIN) ?: '{}', true) ?? [];

function out($value) {
    echo json_encode($value, JSON_UNESCAPED_SLASHES), "\n";
    exit(0);
}

// Connector 2.x EnvelopeVerifier::canonical: drop the signature fields, ksort, these flags.
function canonical(array $envelope) {
    unset($envelope['signature'], $envelope['signaturePublicKey']);
    ksort($envelope);
    return json_encode($envelope, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
}

// The Connector decodes the response as objects and casts the top level to an array (shallow).
function decodeLikeConnector(string $json) {
    return (array) json_decode($json);
}

switch ($command) {
case 'vendor-keys':
    $box = sodium_crypto_box_keypair();
    $sign = sodium_crypto_sign_keypair();
    out([
        'boxPublicKey' => sodium_bin2hex(sodium_crypto_box_publickey($box)),
        'boxSecretKey' => sodium_bin2hex(sodium_crypto_box_secretkey($box)),
        'signPublicKey' => sodium_bin2hex(sodium_crypto_sign_publickey($sign)),
        'signSecretKey' => sodium_bin2hex(sodium_crypto_sign_secretkey($sign)),
    ]);

case 'envelope':
    // Envelope::get() and Encryption::encrypt() of the client SDK 1.10.
    $siteIdentifierHash = bin2hex(random_bytes(64));
    $endpointHash = sodium_bin2hex(sodium_crypto_generichash($input['siteUrl'] . $siteIdentifierHash, '', 16));
    $secretId = sodium_bin2hex(sodium_crypto_generichash($endpointHash . $siteIdentifierHash, '', 16));
    $clientKeys = sodium_crypto_box_keypair();
    $nonce = random_bytes(SODIUM_CRYPTO_BOX_NONCEBYTES);
    $pair = sodium_crypto_box_keypair_from_secretkey_and_publickey(
        sodium_crypto_box_secretkey($clientKeys), sodium_hex2bin($input['vendorBoxPublicKey']));
    $identifier = base64_encode(sodium_crypto_box($siteIdentifierHash, $nonce, $pair));
    out([
        'envelope' => [
            'secretId' => $secretId,
            'identifier' => $identifier,
            'siteUrl' => $input['siteUrl'],
            'publicKey' => $input['teamPublicKey'],
            'accessKey' => $input['accessKey'],
            'wpUserId' => 1,
            'expiresAt' => $input['expiresAt'],
            'version' => '1.10.1',
            'nonce' => sodium_bin2hex($nonce),
            'clientPublicKey' => sodium_bin2hex(sodium_crypto_box_publickey($clientKeys)),
            'metaData' => $input['metaData'] ?? [],
        ],
        // What the client sends on the wire: wp_json_encode (PHP's default flags).
        'siteIdentifierHash' => $siteIdentifierHash,
    ]);

case 'wire':
    // The exact bytes WordPress sends for a body: json_encode with default flags.
    echo json_encode($input['value']), "\n";
    exit(0);

case 'sign-nonce':
    // Encryption::createIdentityNonce() of the Connector.
    $unsigned = sodium_bin2hex(random_bytes(SODIUM_CRYPTO_BOX_NONCEBYTES));
    $signed = sodium_crypto_sign_detached($unsigned, sodium_hex2bin($input['signSecretKey']));
    out(['nonce' => base64_encode($unsigned), 'signedNonce' => base64_encode($signed)]);

case 'open-envelope':
    // TrustedLoginService::verify_envelope_signature + envelope_to_url of the Connector 2.x.
    $envelope = decodeLikeConnector($input['envelopeJSON']);
    foreach (['identifier', 'siteUrl', 'publicKey', 'nonce'] as $key) {
        if (!array_key_exists($key, $envelope)) { out(['ok' => false, 'reason' => "missing $key"]); }
    }
    if (!isset($envelope['signature'])) { out(['ok' => false, 'reason' => 'envelope_signature_missing']); }
    $canonical = canonical($envelope);
    $verified = sodium_crypto_sign_verify_detached(
        sodium_hex2bin($envelope['signature']), $canonical, sodium_hex2bin($input['envelopeSigningKey']));
    if (!$verified) { out(['ok' => false, 'reason' => 'signature', 'canonical' => $canonical]); }
    if (isset($envelope['issuedAt']) && abs(time() - (int) $envelope['issuedAt']) > 300) {
        out(['ok' => false, 'reason' => 'stale']);
    }
    $pair = sodium_crypto_box_keypair_from_secretkey_and_publickey(
        sodium_hex2bin($input['vendorBoxSecretKey']), sodium_hex2bin($envelope['publicKey']));
    $identifier = sodium_crypto_box_open(base64_decode($envelope['identifier']), sodium_hex2bin($envelope['nonce']), $pair);
    if ($identifier === false) { out(['ok' => false, 'reason' => 'box']); }
    $endpoint = sodium_bin2hex(sodium_crypto_generichash($envelope['siteUrl'] . $identifier, '', 16));
    out(['ok' => true, 'identifier' => $identifier, 'canonical' => $canonical,
         'loginUrl' => $envelope['siteUrl'] . '/' . $endpoint . '/' . $identifier]);

case 'canonical':
    $envelope = decodeLikeConnector($input['envelopeJSON']);
    out(['canonical' => canonical($envelope)]);

case 'sign':
    $keys = sodium_crypto_sign_seed_keypair(sodium_hex2bin($input['seed']));
    out(['signature' => sodium_bin2hex(sodium_crypto_sign_detached($input['message'], sodium_crypto_sign_secretkey($keys))),
         'publicKey' => sodium_bin2hex(sodium_crypto_sign_publickey($keys))]);

case 'verify':
    out(['ok' => sodium_crypto_sign_verify_detached(
        sodium_hex2bin($input['signature']), $input['message'], sodium_hex2bin($input['publicKey']))]);

default:
    fwrite(STDERR, "unknown command $command\n");
    exit(2);
}
