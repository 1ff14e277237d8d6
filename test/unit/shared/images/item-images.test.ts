import { describe, expect, it } from 'vitest';
import {
  itemImageKey,
  itemImageWithExtensionPrefix,
  itemNamesForImage,
} from '../../../../shared/images/item-images.ts';

describe('item images', () => {
  it('maps an image key to its item with and without the extension', () => {
    // Assess
    expect(itemNamesForImage('images/widget.jpg')).toEqual({
      exact: 'widget.jpg',
      withoutExtension: 'widget',
    });
    expect(itemNamesForImage('images/widget')).toEqual({ exact: 'widget' });
  });

  it('names an item image images/<item> with the extension of its type, if any', () => {
    // Assess
    expect(itemImageKey('blue widget', '.png')).toBe('images/blue widget.png');
    expect(itemImageKey('bolt')).toBe('images/bolt');
    expect(itemImageWithExtensionPrefix('bolt')).toBe('images/bolt.');
  });

  it('reads back the item of the key it builds', () => {
    // Assess
    expect(itemNamesForImage(itemImageKey('blue widget', '.png')).withoutExtension).toBe('blue widget');
    expect(itemNamesForImage(itemImageKey('100%41 off')).exact).toBe('100%41 off');
  });

  it('keeps a name that is only an extension whole', () => {
    // Assess
    expect(itemNamesForImage('images/.jpg')).toEqual({ exact: '.jpg' });
  });
});
