# SPDX-License-Identifier: MIT
# Bad input: clear errors, no retry storms, no secrets in any message.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

H mkimage small.raw small
H mkimage std.raw standard
qemu_ref small.raw ref-small.vhd
qemu_ref std.raw ref-std.vhd

proxy reset
proxy config "rate=0&delay_ms=0"
truncate -s 1000001 odd.raw
check_fails "size not a multiple of 512" "image 'odd.raw': size 1000001 is not a multiple of 512" \
	wgb upload odd.raw "$PX/vhds/odd.vhd"
check_fails "missing image" "cannot open image 'nope.raw'" wgb upload nope.raw "$PX/vhds/x.vhd"
cp small.raw secret.raw
chmod 600 secret.raw
check_fails "unreadable image" "cannot open image '.*secret.raw': Permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WGBAKE" upload "$PWD/secret.raw" "$PX/vhds/x.vhd"
check "bad images never reach the network" test "$(pstat requests)" = 0

# Someone else's blob: refuse without --overwrite, and leave it alone.
wgb upload -q small.raw "$PX/vhds/clash.vhd"
check_fails "an existing blob with other content is refused" \
	"blob '.*clash.vhd' already exists and holds something else; pass --overwrite" \
	wgb upload std.raw "$PX/vhds/clash.vhd"
BT download vhds/clash.vhd clash1.vhd
check "... and left as it was" same_vhd clash1.vhd ref-small.vhd
check "with --overwrite it is replaced" wgb upload -q --overwrite std.raw "$PX/vhds/clash.vhd"
BT download vhds/clash.vhd clash2.vhd
check "... by the new image" same_vhd clash2.vhd ref-std.vhd
head -c 5000 /dev/urandom >block.bin
BT put-block-blob vhds/block.vhd block.bin
check_fails "a block blob in the way is refused" "already exists" wgb upload small.raw "$PX/vhds/block.vhd"

# Wrong key: one clear error, no storm.
proxy reset
wrong=$(head -c 64 /dev/urandom | base64 -w0)
AZURE_STORAGE_KEY=$wrong wgb upload small.raw "$PX/vhds/wrongkey.vhd" >wk.out 2>&1
check "wrong key: fails" test $? -ne 0
check "wrong key: says 403 and why" grep -Eq 'HTTP 403 (AuthenticationFailed|AuthorizationFailure).*check the Shared Key: AZURE_STORAGE_KEY' wk.out
check "wrong key: no retry storm (at most 2 requests)" test "$(pstat requests)" -le 2
check "wrong key: the key is not printed" bash -c "! grep -qF -- '$wrong' wk.out"
printf '%s\n' "$AZURE_STORAGE_KEY" >key.txt
chmod 644 key.txt
env -u AZURE_STORAGE_KEY "$WGBAKE" upload -q --account-key-file key.txt small.raw "$PX/vhds/keyfile.vhd" >kf.out 2>&1
check "--account-key-file works" test $? -eq 0
check "... and warns that the file is readable by others" grep -q 'readable by others' kf.out
printf 'not base64!\n' >badkey.txt
check_fails "a key file that is not base64" "badkey.txt: the account key is not base64" \
	env -u AZURE_STORAGE_KEY "$WGBAKE" upload --account-key-file badkey.txt small.raw "$PX/vhds/x.vhd"
check_fails "no credentials at all" "no storage credentials" \
	env -u AZURE_STORAGE_KEY "$WGBAKE" upload small.raw "$PX/vhds/x.vhd"
check_fails "two credentials at once" "use only one of" \
	wgb upload --account-key-file key.txt --sas-file key.txt small.raw "$PX/vhds/x.vhd"

# SAS: a good one works (the URL comes from it), an expired one fails cleanly.
proxy reset
good=$(BT sas vhds/sas.vhd 3600)
good=${good/$ENDPOINT/$PX}
printf '%s\n' "$good" >sas.txt
chmod 600 sas.txt
env -u AZURE_STORAGE_KEY "$WGBAKE" upload --sas-file sas.txt small.raw >sas.out 2>&1
check "a SAS URL from --sas-file: upload succeeds, blob named by the SAS" grep -q "^upload: uploaded: .*vhds/sas.vhd'" sas.out
check "... the requests carried the SAS and no Authorization" \
	bash -c "grep -c '\"sas\": true' '$PROXY_LOG' | grep -qv '^0$' && ! grep -q '\"auth\": \"SharedKey\"' '$PROXY_LOG'"
sig=$(sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p' sas.txt)
check "... and the signature is printed nowhere" bash -c "! grep -qF -- '$sig' sas.out"
BT download vhds/sas.vhd sas.vhd
check "... same blob as qemu-img's VHD" same_vhd sas.vhd ref-small.vhd

proxy reset
expired=$(BT sas vhds/expired.vhd -3600)
expired=${expired/$ENDPOINT/$PX}
AZURE_STORAGE_SAS_URL=$expired env -u AZURE_STORAGE_KEY "$WGBAKE" upload small.raw >exp.out 2>&1
check "expired SAS: fails" test $? -ne 0
check "expired SAS: says so, with the time" grep -Eq 'AZURE_STORAGE_SAS_URL: the SAS expired at 20[0-9-]+T[0-9:]+Z' exp.out
check "expired SAS: not even one request" test "$(pstat requests)" = 0
# A SAS that Azurite rejects although it has not expired (signed with another key): 403.
proxy reset
forged=$(AZURE_STORAGE_KEY=$wrong BT sas vhds/forged.vhd 3600)
forged=${forged/$ENDPOINT/$PX}
AZURE_STORAGE_SAS_URL=$forged env -u AZURE_STORAGE_KEY "$WGBAKE" upload small.raw >forged.out 2>&1
check "badly signed SAS: fails with 403 and which credential" \
	grep -Eq 'HTTP 403 [A-Za-z]+.*check the SAS: AZURE_STORAGE_SAS_URL' forged.out
check "badly signed SAS: no retry storm (at most 2 requests)" test "$(pstat requests)" -le 2
fsig=$(sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p' <<<"$forged")
check "badly signed SAS: the signature is printed nowhere" bash -c "! grep -qF -- '$fsig' forged.out"
esig=$(sed -n 's/.*[?&]sig=\([^&]*\).*/\1/p' <<<"$expired")
check "expired SAS: the signature is printed nowhere" bash -c "! grep -qF -- '$esig' exp.out"
check_fails "a SAS file without sig=" "not a SAS" \
	env -u AZURE_STORAGE_KEY "$WGBAKE" upload --sas-file key.txt small.raw "$PX/vhds/x.vhd"

# Entra ID: Azurite speaks OAuth only over HTTPS, so check what goes on the wire and that
# a rejected token is a clean, quick error.
proxy reset
printf 'eyJ0eXAiOiJKV1QifQ.e30.c2ln\n' >token.txt
chmod 600 token.txt
env -u AZURE_STORAGE_KEY "$WGBAKE" upload --token-file token.txt small.raw "$PX/vhds/tok.vhd" >tok.out 2>&1
check "bearer token: rejected by Azurite over http, cleanly" grep -Eq 'HTTP 40[13]' tok.out
check "bearer token: sent as 'Authorization: Bearer'" grep -q '"auth": "Bearer"' "$PROXY_LOG"
check "bearer token: x-ms-version >= 2017-11-09 on every request" python3 - "$PROXY_LOG" <<'PY'
import json, sys
v = [json.loads(l)["version"] for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if v and all(x and x >= "2017-11-09" for x in v) else 1)
PY
check "bearer token: not printed" bash -c "! grep -q 'c2ln' tok.out"

check_fails "plain http to a remote host is refused" "plain http is only allowed to a loopback address" \
	wgb upload small.raw "http://example.invalid/vhds/x.vhd"
check_fails "a query in BLOB_URL is refused" "must not carry a query" \
	wgb upload small.raw "$PX/vhds/x.vhd?sv=1&sig=abc"
check_fails "--state on a device is refused" "cannot write state file '/dev/null'" \
	wgb upload --state /dev/null small.raw "$PX/vhds/devnull.vhd"
check "... and /dev/null is still a device" test -c /dev/null
