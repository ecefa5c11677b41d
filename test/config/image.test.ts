import { ContainerImage, DefaultImages, ImagePullPolicy } from '../../src';

describe('ContainerImage', () => {
  test('renders tag, digest and registry forms', () => {
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    expect(ContainerImage.of('apache/airflow', '3.3.2').reference).toBe('apache/airflow:3.3.2');
    expect(ContainerImage.fromDigest('apache/airflow', digest).reference).toBe(`apache/airflow@${digest}`);
    expect(ContainerImage.fromDigest('apache/airflow', digest, '3.3.2', { registry: 'reg.example.com:5000' }).reference)
      .toBe(`reg.example.com:5000/apache/airflow:3.3.2@${digest}`);
    expect(ContainerImage.fromDigest('apache/airflow', digest).version).toBe('0123456789ab');
  });

  test('pull policy defaults to IfNotPresent', () => {
    expect(ContainerImage.of('redis', '7.4.5').pullPolicy).toBe(ImagePullPolicy.IF_NOT_PRESENT);
    expect(ContainerImage.of('redis', '7.4.5', { pullPolicy: ImagePullPolicy.ALWAYS }).pullPolicy).toBe('Always');
  });

  test('default images are pinned', () => {
    for (const image of [DefaultImages.AIRFLOW, DefaultImages.POSTGRES, DefaultImages.REDIS]) {
      expect(image.tag).toMatch(/^\d+\.\d+(\.\d+)?(-[a-z]+)?$/);
    }
    expect(DefaultImages.AIRFLOW.reference).toBe('apache/airflow:3.3.2');
  });

  test('throws if a registry is malformed', () => {
    expect(() => ContainerImage.of('apache/airflow', '3.3.2', { registry: 'https://reg' })).toThrow(/image registry must be a host name/);
  });
});
