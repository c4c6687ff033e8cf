// Every check iotcert ships. A new check is one file in its family's folder and one line here.
import { Registry } from "../core/registry.js";
import { advertisingPrivacy } from "./ble/advertising-privacy.js";
import { gattUnauthenticated } from "./ble/gatt-unauthenticated.js";
import { pairing } from "./ble/pairing.js";
import { bruteforceProtection } from "./credentials/bruteforce-protection.js";
import { amplification } from "./coap/amplification.js";
import { discovery } from "./coap/discovery.js";
import { dtls } from "./coap/dtls.js";
import { unauthenticatedAccess } from "./coap/unauthenticated-access.js";
import { defaultPasswords } from "./credentials/default-passwords.js";
import { unauthenticatedAdmin } from "./credentials/unauthenticated-admin.js";
import { uniquePerDevice } from "./credentials/unique-per-device.js";
import { securityTxt } from "./disclosure/security-txt.js";
import { supportPeriod } from "./lifecycle/support-period.js";
import { snmpTransportSecurity } from "./snmp/transport-security.js";
import { tls } from "./crypto/tls.js";
import { anonymousAccess } from "./mqtt/anonymous-access.js";
import { observe } from "./mqtt/observe.js";
import { transportSecurity } from "./mqtt/transport-security.js";
import { wildcardSubscribe } from "./mqtt/wildcard-subscribe.js";
import { mudConformance } from "./mud/conformance.js";
import { mudFile } from "./mud/file.js";
import { mudUrl } from "./mud/url.js";
import { bootLogSecrets } from "./serial/boot-log-secrets.js";
import { consoleAccess } from "./serial/console-access.js";
import { cleartextServices } from "./surface/cleartext-services.js";
import { debugServices } from "./surface/debug-services.js";
import { services } from "./surface/services.js";
import { tcpPorts } from "./surface/tcp-ports.js";
import { udpServices } from "./surface/udp-services.js";
import { undeclaredPorts } from "./surface/undeclared-ports.js";
import { versionDisclosure } from "./surface/version-disclosure.js";
import { firmwareSecrets } from "./update/firmware-secrets.js";
import { rogueServer } from "./update/rogue-server.js";
import { updateSignature } from "./update/signature.js";
import { updateTransport } from "./update/transport.js";

export const ALL_CHECKS = [
  tcpPorts, services, udpServices, tls, cleartextServices, debugServices, undeclaredPorts, versionDisclosure, defaultPasswords,
  uniquePerDevice, bruteforceProtection, unauthenticatedAdmin,
  mudUrl, mudFile, mudConformance,
  anonymousAccess, wildcardSubscribe, transportSecurity, observe,
  discovery, unauthenticatedAccess, amplification, dtls,
  snmpTransportSecurity,
  consoleAccess, bootLogSecrets, advertisingPrivacy, gattUnauthenticated, pairing,
  supportPeriod, securityTxt, updateTransport, updateSignature, firmwareSecrets, rogueServer,
];

export function builtinRegistry(): Registry {
  return new Registry(ALL_CHECKS);
}
