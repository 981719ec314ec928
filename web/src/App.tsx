// The app shell: one page saying what Pramana is. The real pages (documents, consents, proofs)
// come later; the crypto they will use lives in ./crypto and runs in a Web Worker.
export function App() {
  return (
    <main>
      <h1>Pramana</h1>
      <p>
        Your medical documents, encrypted on your device before they leave it. You decide which
        hospital may read each one; every consent and every revocation is recorded on a public
        chain, so anyone can check it without trusting us.
      </p>
      <ul>
        <li>Keys and plaintext never leave your device.</li>
        <li>Each document is anchored by a salted fingerprint that reveals nothing about it.</li>
        <li>A proof file lets anyone check a document against the chain.</li>
      </ul>
    </main>
  );
}
